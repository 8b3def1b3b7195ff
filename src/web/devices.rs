//! The browser's media devices: `listDevices()`, and the list the pool keeps current.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::emit::{Emit, Out};
use crate::core::error::ProducerError;
use crate::web::interop::{from_js, to_js};
use crate::web::media;

/// One device as `listDevices()` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    /// `"videoinput"`, `"audioinput"` or `"audiooutput"`.
    pub kind: String,
    /// Empty until the page has permission.
    pub device_id: String,
    /// Empty until the page has permission.
    pub label: String,
    /// Devices of one physical product share it.
    pub group_id: String,
}

impl Emit for DeviceInfo {
    fn fields(&self, o: &mut dyn Out) {
        o.text("kind", &self.kind);
        o.text("deviceId", &self.device_id);
        o.text("label", &self.label);
        o.text("groupId", &self.group_id);
    }
}

/// A device list as JS: an array of `{ kind, deviceId, label, groupId }`.
pub fn devices_js(list: &[DeviceInfo]) -> JsValue {
    let out = js_sys::Array::new();
    for d in list {
        out.push(&crate::web::interop::emit(d));
    }
    out.into()
}

/// Reads the browser's device list.
pub async fn enumerate() -> Result<Vec<DeviceInfo>, ProducerError> {
    let devices = media::media_devices()?;
    let promise = devices.enumerate_devices().map_err(|e| from_js(&e))?;
    let list = JsFuture::from(promise).await.map_err(|e| from_js(&e))?;
    let text = |v: &JsValue, k: &str| {
        Reflect::get(v, &k.into())
            .ok()
            .and_then(|x| x.as_string())
            .unwrap_or_default()
    };
    Ok(Array::from(&list)
        .iter()
        .map(|d| DeviceInfo {
            kind: text(&d, "kind"),
            device_id: text(&d, "deviceId"),
            label: text(&d, "label"),
            group_id: text(&d, "groupId"),
        })
        .collect())
}

/// The browser's media devices: `{ kind, deviceId, label, groupId }` (ids and labels
/// are empty until the page has permission).
#[wasm_bindgen(js_name = listDevices, unchecked_return_type = "Promise<DeviceInfo[]>")]
pub fn list_devices() -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let list = enumerate().await.map_err(|e| to_js(&e))?;
        Ok(devices_js(&list))
    })
}
