//! The insert-processor contract the mixer's strips are built from.
//!
//! A processor is created and [`Processor::prepare`]d off the audio thread
//! (the only place it may allocate), then handed to the audio thread, which
//! calls [`Processor::process`] once per block on planar buffers in place.
//! Parameter changes are typed setters on each concrete processor; they are
//! real-time safe (no allocation, no I/O) so the engine may call them from
//! the callback.
//!
//! Buffers: `io[c][..frames]` is channel `c` of the block, every channel the
//! same length, at most the `max_block` given to `prepare`. A processor must
//! accept any block length from 1 to `max_block` (processors that work on
//! fixed frames, such as look-ahead or FFT-based ones, buffer internally and
//! report the delay this adds through [`Processor::latency`]).

/// Largest channel count a strip can have (7.1.4 and some room to spare).
pub const MAX_CHANNELS: usize = 16;

/// One insert on a strip.
pub trait Processor: Send + std::fmt::Debug {
    /// Sizes internal state for `channels` channels at `rate` Hz and blocks
    /// of up to `max_block` frames. Called off the audio thread before the
    /// first `process`; may allocate. Calling it again re-prepares.
    fn prepare(&mut self, rate: u32, channels: usize, max_block: usize);

    /// Processes one block in place. `sidechain`, when the insert has a key
    /// input (a compressor's sidechain), holds that signal for the same
    /// frames. Never allocates, locks or does I/O.
    fn process(&mut self, io: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>);

    /// Delay the output has relative to the input, in samples (constant
    /// once prepared).
    fn latency(&self) -> usize {
        0
    }

    /// Clears all signal state (envelopes, filter memories, tails) as if
    /// freshly prepared. Real-time safe.
    fn reset(&mut self);

    /// Gain reduction now applied, in dB (≥ 0), for dynamics meters.
    fn reduction_db(&self) -> f32 {
        0.0
    }
}

/// Builds `[&mut [f32]]` views of the first `channels` rows of a planar
/// buffer laid out as `stride`-long rows, without allocating: the caller
/// owns the array, this fills it.
pub fn split_rows<'a>(
    data: &'a mut [f32],
    stride: usize,
    frames: usize,
    out: &mut [&'a mut [f32]; MAX_CHANNELS],
) -> usize {
    let mut n = 0;
    for (row, slot) in data.chunks_mut(stride.max(1)).zip(out.iter_mut()) {
        let len = frames.min(row.len());
        *slot = &mut row[..len];
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rows_views_each_channel() {
        let mut data = vec![0.0f32; 3 * 8];
        let mut rows: [&mut [f32]; MAX_CHANNELS] = Default::default();
        let n = split_rows(&mut data, 8, 5, &mut rows);
        assert_eq!(n, 3);
        rows[1][4] = 1.0;
        assert_eq!(rows[2].len(), 5);
        assert_eq!(data[8 + 4], 1.0);
    }
}

/// Sets every value whose magnitude is below `floor` to zero (a NaN stays
/// as it is), without a branch per value, so the loop vectorises: the
/// processors flush their recursive state this way every 64 samples.
#[inline]
pub(crate) fn flush_below(vals: &mut [f64], floor: f64) {
    for v in vals.iter_mut() {
        let small = u64::from(v.abs() < floor);
        *v = f64::from_bits(v.to_bits() & small.wrapping_sub(1));
    }
}

#[cfg(test)]
mod flush_tests {
    use super::flush_below;

    #[test]
    fn flushing_zeroes_what_is_below_the_floor_and_keeps_the_rest() {
        let mut v = [
            1e-21,
            -1e-21,
            1e-20,
            -2e-20,
            0.5,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            1e-300,
        ];
        flush_below(&mut v, 1e-20);
        assert_eq!(v[..6], [0.0, 0.0, 1e-20, -2e-20, 0.5, 0.0]);
        assert!(v[0].is_sign_positive() && v[1].is_sign_positive());
        assert!(v[6].is_nan());
        assert_eq!(v[7..], [f64::INFINITY, 0.0]);
    }
}

/// For the tests of the kernels that run two stereo blocks at once.
#[cfg(test)]
pub(crate) mod pairs {
    /// Runs the four rows `rows` (`a` left and right, then `b` left and
    /// right) through `f` in blocks of `block` frames, `a`'s two rows and
    /// `b`'s two at a time.
    pub(crate) fn two_in_blocks(
        rows: &mut [Vec<f32>],
        block: usize,
        mut f: impl FnMut([&mut [f32]; 2], [&mut [f32]; 2]),
    ) {
        let [l, r, x, y] = rows else {
            panic!("four rows")
        };
        for ((l, r), (x, y)) in l
            .chunks_mut(block)
            .zip(r.chunks_mut(block))
            .zip(x.chunks_mut(block).zip(y.chunks_mut(block)))
        {
            f([l, r], [x, y]);
        }
    }
}
