//! [`PoolConfig`]: the `new StreamPool(config)` options.

use super::fields::Fields;
use crate::core::error::ProducerError;
use crate::core::value::Value;

/// The validated `new StreamPool(config)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolConfig {
    /// `maxPoolSize`: idle streams kept, 0 ..= 100, default 5.
    pub max_pool_size: u32,
    /// `streamTtl` (ms an idle stream is kept): 0 ..= 86 400 000, default 300 000.
    pub stream_ttl_ms: u32,
    /// `cleanupInterval` (ms between expiry sweeps): 10 ..= 3 600 000, default 60 000.
    pub cleanup_interval_ms: u32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_pool_size: 5,
            stream_ttl_ms: 300_000,
            cleanup_interval_ms: 60_000,
        }
    }
}

impl PoolConfig {
    /// Parses and validates a pool config; `null`/`undefined` gives the defaults.
    ///
    /// ```
    /// use media_recorder_producer::core::config::PoolConfig;
    /// use media_recorder_producer::core::value::{obj, Value};
    /// assert_eq!(PoolConfig::from_value(&Value::Null).unwrap().max_pool_size, 5);
    /// let e = PoolConfig::from_value(&obj([("streamTtl", Value::Number(-1.0))])).unwrap_err();
    /// assert!(e.message.contains("poolConfig.streamTtl"));
    /// ```
    pub fn from_value(v: &Value) -> Result<Self, ProducerError> {
        let f = Fields::new(
            "poolConfig",
            v,
            &["maxPoolSize", "streamTtl", "cleanupInterval"],
        )?;
        let d = PoolConfig::default();
        let c = PoolConfig {
            max_pool_size: f
                .integer("maxPoolSize", 0, 100)
                .map_or(d.max_pool_size, |n| n as u32),
            stream_ttl_ms: f
                .integer("streamTtl", 0, 86_400_000)
                .map_or(d.stream_ttl_ms, |n| n as u32),
            cleanup_interval_ms: f
                .integer("cleanupInterval", 10, 3_600_000)
                .map_or(d.cleanup_interval_ms, |n| n as u32),
        };
        f.check()?;
        Ok(c)
    }
}
