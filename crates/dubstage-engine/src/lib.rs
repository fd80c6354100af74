//! The Dubstage mix engine: [`compile`] a project into a [`RenderPlan`], and
//! render it with a [`Renderer`] — in real time or offline, with the same code.
//!
//! Architecture invariant: the engine knows nothing of any UI toolkit. The
//! renderer's `render_block`/`process_interleaved` never allocate (checked
//! by a test with an allocation guard).

mod automation;
pub mod inserts;
pub mod plan;
pub mod render;
mod team;

pub use plan::{CompileOptions, Compiler, RenderPlan, Sources, compile};
pub use render::{Block, Renderer};
pub mod deliver;
pub mod export;
pub mod loudness;
pub mod sources;
pub use sources::{LoadedSources, MediaProblem, SourceIssue, load_sources};
pub mod meters;
pub use meters::{MeterBank, MeterReading, MeterSlot};
pub mod audition;
pub mod backend;
pub mod rt;
pub use audition::AuditionVoice;
pub use rt::{AudioEngine, AudioProcessor, Control, ProcessorConfig, TelemetrySnapshot, ToAudio};
