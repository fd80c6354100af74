//! Real-time-safe DSP building blocks: gain conversion, pan laws, fade curves
//! and block-wise mixing loops.
//!
//! Architecture invariant: nothing here allocates, locks or does I/O after
//! construction; every function is callable from the audio callback.

pub mod denoise;
pub mod dynamics;
pub mod fade;
pub mod filter;
pub mod gain;
pub mod limiter;
pub mod loudness;
pub mod mix;
pub mod pan;
pub mod processor;
pub mod reverb;
pub mod simd;
pub mod spectrum;
pub mod trim;

pub use fade::fade_gain;
pub use gain::{GainRamp, db_to_gain, gain_to_db};
pub use pan::{balance_gains, pan_gains};
pub use processor::{MAX_CHANNELS, Processor, split_rows};
