//! The device profile: what class of device this is, and the capture caps that follow.
//!
//! Readings come in from the browser shell as plain values; any the browser lacks falls
//! back to a documented default and none is required:
//!
//! | reading | source | default when absent |
//! | --- | --- | --- |
//! | memory | `navigator.deviceMemory` (Chromium, secure contexts) | 4 GB (the seed's) |
//! | cores | `navigator.hardwareConcurrency` | 4 (the seed's) |
//! | mobile | `navigator.userAgentData.mobile` (Chromium) | not mobile |
//! | touch | `navigator.maxTouchPoints > 0` or `(pointer: coarse)` | no touch |
//! | battery | `navigator.getBattery()` (Chromium, secure contexts) | unknown: no battery cap |
//!
//! Caps: high-end (≥ 8 GB and ≥ 8 cores) 1920x1080@60; otherwise 1280x720@30; mobile or
//! touch 960x540@30 and quality steps down after fewer overloaded windows; a battery
//! that is low (≤ 20 %) and discharging lowers the cap to 640x360@15 until it charges.

use crate::core::emit::{Emit, Out};

/// What the browser told us about the device (`None`: not reported).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeviceReadings {
    /// `navigator.deviceMemory` (GB).
    pub device_memory_gb: Option<f64>,
    /// `navigator.hardwareConcurrency` (logical cores).
    pub hardware_concurrency: Option<u32>,
    /// `navigator.userAgentData.mobile`.
    pub mobile: Option<bool>,
    /// `navigator.maxTouchPoints`.
    pub max_touch_points: Option<u32>,
    /// `matchMedia('(pointer: coarse)').matches`.
    pub coarse_pointer: Option<bool>,
    /// Battery level 0..=1.
    pub battery_level: Option<f64>,
    /// Whether the battery is charging.
    pub battery_charging: Option<bool>,
}

/// Memory assumed where `navigator.deviceMemory` is missing (GB), as the seed did.
pub const DEFAULT_DEVICE_MEMORY_GB: f64 = 4.0;
/// Cores assumed where `navigator.hardwareConcurrency` is missing, as the seed did.
pub const DEFAULT_CORES: u32 = 4;
/// Battery level at or below which a discharging device is capped.
pub const LOW_BATTERY: f64 = 0.2;

/// The device class and its capture caps (`deviceProfile()` in JS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceProfile {
    /// ≥ 8 GB and ≥ 8 cores.
    pub high_end: bool,
    /// A phone or tablet (user-agent data), or a touch-first device.
    pub mobile: bool,
    /// The battery is low and discharging.
    pub low_battery: bool,
    /// Largest width asked of a camera.
    pub max_width: u32,
    /// Largest height.
    pub max_height: u32,
    /// Largest frame rate.
    pub max_frame_rate: f64,
    /// Overloaded windows in a row before quality steps down (the seed's 5; 3 on mobile).
    pub step_down_after: u32,
}

impl DeviceProfile {
    /// The profile for `readings`.
    ///
    /// ```
    /// use media_recorder_producer::core::profile::{DeviceProfile, DeviceReadings};
    /// let p = DeviceProfile::from_readings(DeviceReadings { device_memory_gb: Some(8.0), hardware_concurrency: Some(8), ..Default::default() });
    /// assert_eq!((p.high_end, p.max_width, p.max_height, p.max_frame_rate), (true, 1920, 1080, 60.0));
    /// let p = DeviceProfile::from_readings(DeviceReadings::default()); // nothing reported
    /// assert_eq!((p.high_end, p.max_width, p.step_down_after), (false, 1280, 5));
    /// ```
    pub fn from_readings(r: DeviceReadings) -> Self {
        let memory = r
            .device_memory_gb
            .filter(|m| m.is_finite() && *m > 0.0)
            .unwrap_or(DEFAULT_DEVICE_MEMORY_GB);
        let cores = r
            .hardware_concurrency
            .filter(|c| *c > 0)
            .unwrap_or(DEFAULT_CORES);
        let high_end = memory >= 8.0 && cores >= 8;
        let mobile = r.mobile.unwrap_or(false)
            || r.max_touch_points.unwrap_or(0) > 0 && r.coarse_pointer.unwrap_or(false);
        let low_battery = matches!(
            (r.battery_level, r.battery_charging),
            (Some(level), Some(false)) if level.is_finite() && level <= LOW_BATTERY
        );
        let (max_width, max_height, max_frame_rate) = if low_battery {
            (640, 360, 15.0)
        } else if mobile {
            (960, 540, 30.0)
        } else if high_end {
            (1920, 1080, 60.0)
        } else {
            (1280, 720, 30.0)
        };
        DeviceProfile {
            high_end,
            mobile,
            low_battery,
            max_width,
            max_height,
            max_frame_rate,
            step_down_after: if mobile { 3 } else { 5 },
        }
    }
}

impl Default for DeviceProfile {
    fn default() -> Self {
        DeviceProfile::from_readings(DeviceReadings::default())
    }
}

impl Emit for DeviceProfile {
    fn fields(&self, o: &mut dyn Out) {
        o.flag("highEnd", self.high_end);
        o.flag("mobile", self.mobile);
        o.flag("lowBattery", self.low_battery);
        o.num("maxWidth", f64::from(self.max_width));
        o.num("maxHeight", f64::from(self.max_height));
        o.num("maxFrameRate", self.max_frame_rate);
        o.num("stepDownAfter", f64::from(self.step_down_after));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(p: DeviceProfile) -> (u32, u32, f64) {
        (p.max_width, p.max_height, p.max_frame_rate)
    }

    #[test]
    fn documented_caps() {
        let high = DeviceReadings {
            device_memory_gb: Some(16.0),
            hardware_concurrency: Some(12),
            ..Default::default()
        };
        assert_eq!(caps(DeviceProfile::from_readings(high)), (1920, 1080, 60.0));
        let phone = DeviceReadings {
            mobile: Some(true),
            ..high
        };
        let p = DeviceProfile::from_readings(phone);
        assert_eq!(caps(p), (960, 540, 30.0));
        assert_eq!(p.step_down_after, 3);
        let touch = DeviceReadings {
            max_touch_points: Some(5),
            coarse_pointer: Some(true),
            ..Default::default()
        };
        assert!(DeviceProfile::from_readings(touch).mobile);
        // A touch screen with a fine pointer (a laptop) is not mobile.
        let laptop = DeviceReadings {
            max_touch_points: Some(10),
            coarse_pointer: Some(false),
            ..Default::default()
        };
        assert!(!DeviceProfile::from_readings(laptop).mobile);
        let low = DeviceReadings {
            battery_level: Some(0.15),
            battery_charging: Some(false),
            ..high
        };
        assert_eq!(caps(DeviceProfile::from_readings(low)), (640, 360, 15.0));
        let charging = DeviceReadings {
            battery_charging: Some(true),
            ..low
        };
        assert_eq!(
            caps(DeviceProfile::from_readings(charging)),
            (1920, 1080, 60.0)
        );
        let unknown_charging = DeviceReadings {
            battery_level: Some(0.1),
            battery_charging: None,
            ..Default::default()
        };
        assert!(!DeviceProfile::from_readings(unknown_charging).low_battery);
    }
}
