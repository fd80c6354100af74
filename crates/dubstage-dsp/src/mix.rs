//! Block mixing loops, written so the compiler vectorises them.

/// `dst[i] += src[i] * gain`.
#[inline]
pub fn add_scaled(dst: &mut [f32], src: &[f32], gain: f32) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += *s * gain;
    }
}

/// `dst[i] *= gain`.
#[inline]
pub fn scale(dst: &mut [f32], gain: f32) {
    if gain == 1.0 {
        return;
    }
    for d in dst.iter_mut() {
        *d *= gain;
    }
}

/// `dst[i] += src[i]`.
#[inline]
pub fn add(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += *s;
    }
}

/// Peak absolute value of a block.
#[inline]
pub fn peak(block: &[f32]) -> f32 {
    block.iter().fold(0.0f32, |m, s| m.max(s.abs()))
}
