//! Pan laws for mono sources and the balance control for stereo sources.

use dubstage_model::PanLaw;
use std::f64::consts::FRAC_PI_2;

/// Left/right gains for a mono signal at `pan` (−1 left … +1 right) under `law`.
///
/// - constant power: `L = sin((1−u)·π/2)`, `R = sin(u·π/2)` with `u = (pan+1)/2`
///   (−3.01 dB per side at centre; exactly 1 and 0 at the extremes)
/// - −6 dB linear: `L = 1−u`, `R = u`
/// - −4.5 dB: the geometric mean of the two above
/// - 0 dB: `L = min(1, 1−pan)`, `R = min(1, 1+pan)`
pub fn pan_gains(law: PanLaw, pan: f32) -> (f32, f32) {
    let pan = f64::from(pan.clamp(-1.0, 1.0));
    let u = (pan + 1.0) / 2.0;
    let power = ((1.0 - u) * FRAC_PI_2).sin();
    let power_r = (u * FRAC_PI_2).sin();
    let (l, r) = match law {
        PanLaw::ConstantPower3dB => (power, power_r),
        PanLaw::Linear6dB => (1.0 - u, u),
        PanLaw::Compromise4_5dB => ((power * (1.0 - u)).sqrt(), (power_r * u).sqrt()),
        PanLaw::Balance0dB => ((1.0 - pan).min(1.0), (1.0 + pan).min(1.0)),
    };
    (l as f32, r as f32)
}

/// Left/right gains of the balance control for a stereo signal: the side
/// away from the pan is attenuated linearly; centre is exactly unity.
pub fn balance_gains(pan: f32) -> (f32, f32) {
    let pan = pan.clamp(-1.0, 1.0);
    ((1.0 - pan).min(1.0), (1.0 + pan).min(1.0))
}
