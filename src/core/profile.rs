//! The device profile: what class of device this is, and the capture caps that follow.
//!
//! Readings come in from the browser shell as plain numbers (`navigator.deviceMemory`,
//! `navigator.hardwareConcurrency`); any the browser lacks falls back to the seed's
//! defaults (4 GB, 4 cores). The adaptive-quality work extends this with mobile and
//! battery readings.

use serde::Serialize;

/// What the browser told us about the device (`None`: not reported).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeviceReadings {
    /// `navigator.deviceMemory` (GB; Chromium only, secure contexts).
    pub device_memory_gb: Option<f64>,
    /// `navigator.hardwareConcurrency` (logical cores).
    pub hardware_concurrency: Option<u32>,
}

/// Memory assumed where `navigator.deviceMemory` is missing (GB), as the seed did.
pub const DEFAULT_DEVICE_MEMORY_GB: f64 = 4.0;
/// Cores assumed where `navigator.hardwareConcurrency` is missing, as the seed did.
pub const DEFAULT_CORES: u32 = 4;

/// The device class and its capture caps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceProfile {
    /// ≥ 8 GB and ≥ 8 cores.
    pub high_end: bool,
    /// Largest width asked of a camera (1920 high-end, else 1280).
    pub max_width: u32,
    /// Largest height (1080 high-end, else 720).
    pub max_height: u32,
    /// Largest frame rate (60 high-end, else 30).
    pub max_frame_rate: f64,
}

impl DeviceProfile {
    /// The profile for `readings`.
    ///
    /// ```
    /// use media_recorder_producer::core::profile::{DeviceProfile, DeviceReadings};
    /// let p = DeviceProfile::from_readings(DeviceReadings { device_memory_gb: Some(8.0), hardware_concurrency: Some(8) });
    /// assert_eq!((p.high_end, p.max_width, p.max_height, p.max_frame_rate), (true, 1920, 1080, 60.0));
    /// let p = DeviceProfile::from_readings(DeviceReadings::default()); // nothing reported
    /// assert_eq!((p.high_end, p.max_width), (false, 1280));
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
        if high_end {
            DeviceProfile {
                high_end,
                max_width: 1920,
                max_height: 1080,
                max_frame_rate: 60.0,
            }
        } else {
            DeviceProfile {
                high_end,
                max_width: 1280,
                max_height: 720,
                max_frame_rate: 30.0,
            }
        }
    }
}

impl Default for DeviceProfile {
    fn default() -> Self {
        DeviceProfile::from_readings(DeviceReadings::default())
    }
}
