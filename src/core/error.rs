//! The library's error kinds, independent of the browser.
//!
//! The browser shell converts a [`ProducerError`] into a JS error exactly once, at the
//! `#[wasm_bindgen]` boundary (`src/web/error.rs`): [`ErrorKind::js_name`] is the
//! `name` a JS caller sees.

use std::fmt;

/// What went wrong, as a JS caller can branch on it (`err.name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user or the browser refused access to the device (`NotAllowedError`).
    PermissionDenied,
    /// No device matches the request (`NotFoundError`).
    NoDevice,
    /// The device exists but cannot be read, e.g. another program holds it (`NotReadableError`).
    DeviceBusy,
    /// A required constraint cannot be met (`OverconstrainedError`); names the constraint.
    Overconstrained {
        /// The constraint the browser could not satisfy (e.g. `deviceId`), if it said.
        constraint: Option<String>,
    },
    /// The browser cannot record any of the requested types, or lacks an API (`NotSupportedError`).
    NotSupported,
    /// The call does not fit the object's state, including any use after `destroy()` (`InvalidStateError`).
    InvalidState,
    /// A config or argument has the wrong type (`TypeError`).
    InvalidType,
    /// A config or argument is outside its allowed range (`RangeError`).
    OutOfRange,
    /// A device in use stopped delivering media (its track ended) (`DeviceLostError`).
    DeviceLost,
    /// Chunks were evicted before any listener received them (`DataLossError`).
    DataLoss,
    /// The operation was cut short (`AbortError`).
    Aborted,
    /// The page's context forbids the operation, e.g. not a secure context (`SecurityError`).
    Security,
    /// The recorder reported an error while recording (`RecorderError`, or the browser's name).
    Recorder,
    /// The WebCodecs engine's encoder failed while recording (`EncoderError`).
    Encoder,
    /// Any other browser failure; keeps the browser's own error name.
    Other(String),
}

impl ErrorKind {
    /// Maps a browser `DOMException.name` (or `Error.name`) to a kind.
    pub fn from_browser_name(name: &str) -> ErrorKind {
        match name {
            "NotAllowedError" | "PermissionDeniedError" => ErrorKind::PermissionDenied,
            "NotFoundError" | "DevicesNotFoundError" => ErrorKind::NoDevice,
            "NotReadableError" | "TrackStartError" => ErrorKind::DeviceBusy,
            "OverconstrainedError" | "ConstraintNotSatisfiedError" => {
                ErrorKind::Overconstrained { constraint: None }
            }
            "NotSupportedError" => ErrorKind::NotSupported,
            "InvalidStateError" => ErrorKind::InvalidState,
            "TypeError" => ErrorKind::InvalidType,
            "RangeError" => ErrorKind::OutOfRange,
            "AbortError" => ErrorKind::Aborted,
            "SecurityError" => ErrorKind::Security,
            other => ErrorKind::Other(other.to_string()),
        }
    }

    /// The `name` a JS caller sees on the thrown or reported error.
    pub fn js_name(&self) -> &str {
        match self {
            ErrorKind::PermissionDenied => "NotAllowedError",
            ErrorKind::NoDevice => "NotFoundError",
            ErrorKind::DeviceBusy => "NotReadableError",
            ErrorKind::Overconstrained { .. } => "OverconstrainedError",
            ErrorKind::NotSupported => "NotSupportedError",
            ErrorKind::InvalidState => "InvalidStateError",
            ErrorKind::InvalidType => "TypeError",
            ErrorKind::OutOfRange => "RangeError",
            ErrorKind::DeviceLost => "DeviceLostError",
            ErrorKind::DataLoss => "DataLossError",
            ErrorKind::Aborted => "AbortError",
            ErrorKind::Security => "SecurityError",
            ErrorKind::Recorder => "RecorderError",
            ErrorKind::Encoder => "EncoderError",
            ErrorKind::Other(name) => name,
        }
    }
}

/// An error with a kind and a message that reads well on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// A sentence for people; names the field or the device where there is one.
    pub message: String,
}

impl ProducerError {
    /// A new error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProducerError {
            kind,
            message: message.into(),
        }
    }

    /// `InvalidStateError` for any use after `destroy()`.
    pub fn destroyed(what: &str) -> Self {
        ProducerError::new(
            ErrorKind::InvalidState,
            format!("{what} was called after destroy(); create a new producer"),
        )
    }

    /// An error for a browser failure, with a message a person understands and the
    /// browser's own wording kept after it.
    pub fn from_browser(name: &str, browser_message: &str, constraint: Option<String>) -> Self {
        let mut kind = ErrorKind::from_browser_name(name);
        if let ErrorKind::Overconstrained { .. } = kind {
            kind = ErrorKind::Overconstrained {
                constraint: constraint.clone(),
            };
        }
        let plain = match &kind {
            ErrorKind::PermissionDenied => {
                "Permission to use the camera or microphone was denied".to_string()
            }
            ErrorKind::NoDevice => "No camera or microphone matches the request".to_string(),
            ErrorKind::DeviceBusy => {
                "The camera or microphone could not be started; another program may be using it"
                    .to_string()
            }
            ErrorKind::Overconstrained { constraint } => match constraint {
                Some(c) if !c.is_empty() => {
                    format!("No device can satisfy the constraint `{c}`")
                }
                _ => "No device can satisfy the requested constraints".to_string(),
            },
            ErrorKind::NotSupported => "This browser does not support the request".to_string(),
            ErrorKind::Security => {
                "The page may not use media devices here (a secure context is required)".to_string()
            }
            ErrorKind::Aborted => "The device request was aborted".to_string(),
            _ => "The browser reported an error".to_string(),
        };
        let message = if browser_message.is_empty() {
            format!("{plain} ({name})")
        } else {
            format!("{plain} ({name}: {browser_message})")
        };
        ProducerError { kind, message }
    }
}

impl fmt::Display for ProducerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.js_name(), self.message)
    }
}

impl std::error::Error for ProducerError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_names_keep_their_names() {
        for name in [
            "NotAllowedError",
            "NotFoundError",
            "NotReadableError",
            "OverconstrainedError",
            "NotSupportedError",
            "InvalidStateError",
            "AbortError",
            "SecurityError",
        ] {
            assert_eq!(ErrorKind::from_browser_name(name).js_name(), name);
        }
        assert_eq!(
            ErrorKind::from_browser_name("WeirdError").js_name(),
            "WeirdError"
        );
    }

    #[test]
    fn overconstrained_names_the_constraint() {
        let e =
            ProducerError::from_browser("OverconstrainedError", "", Some("deviceId".to_string()));
        assert_eq!(
            e.kind,
            ErrorKind::Overconstrained {
                constraint: Some("deviceId".into())
            }
        );
        assert!(e.message.contains("`deviceId`"), "{}", e.message);
    }

    #[test]
    fn permission_message_reads_well() {
        let e = ProducerError::from_browser("NotAllowedError", "Permission denied", None);
        assert_eq!(
            e.message,
            "Permission to use the camera or microphone was denied (NotAllowedError: Permission denied)"
        );
    }
}
