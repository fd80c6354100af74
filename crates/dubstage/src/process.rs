//! `dubstage process IN -o OUT --insert SPEC…`: the mixer's processors, in
//! order, on one file (batch clean-up, and a way to hear each processor
//! alone). The same processors and parameter tables as the mixer's inserts.

use anyhow::{Context, Result, bail};
use dubstage_dsp::reverb::ReverbPreset;
use dubstage_engine::inserts::Proc;
use dubstage_model::{Insert, InsertId, InsertKind, NoisePrintData};
use std::path::Path;

/// Parses `KIND[:key=value[,key=value…]]`. For `eq`, unprefixed band keys
/// (`type`, `freq`, `gain`, `q`) set band 1 and switch it on. For
/// `denoise`, `learn=START-END` (seconds of the input) is returned apart.
/// For `reverb`, `preset` brings the preset's pre-delay, decay and damping
/// (a value given beside it wins).
pub fn parse_spec(spec: &str, id: u32) -> Result<(Insert, Option<(f64, f64)>)> {
    let (kind_s, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let kind = InsertKind::from_key(kind_s.trim()).with_context(|| {
        let all: Vec<&str> = InsertKind::ALL.iter().map(|k| k.key()).collect();
        format!(
            "unknown insert kind '{kind_s}' (one of: {})",
            all.join(", ")
        )
    })?;
    let mut ins = Insert::new(InsertId(id), kind);
    let mut learn = None;
    let mut given = Vec::new();
    if kind == InsertKind::Eq {
        ins.params.insert("b1.on".to_owned(), 1.0);
    }
    for kv in rest.split(',').filter(|s| !s.trim().is_empty()) {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("'{kv}' in '{spec}' is not key=value"))?;
        let (k, v) = (k.trim(), v.trim());
        if kind == InsertKind::Denoise && k == "learn" {
            let (a, b) = v.split_once('-').with_context(|| {
                format!("learn={v}: give START-END in seconds, e.g. learn=0.0-1.2")
            })?;
            let a: f64 = a
                .parse()
                .with_context(|| format!("learn start '{a}' is not a number"))?;
            let b: f64 = b
                .parse()
                .with_context(|| format!("learn end '{b}' is not a number"))?;
            if !(a >= 0.0 && b > a) {
                bail!("learn={v}: the end must come after the start");
            }
            learn = Some((a, b));
            continue;
        }
        let key = if kind == InsertKind::Eq && !k.contains('.') {
            format!("b1.{k}")
        } else {
            k.to_owned()
        };
        let Some(i) = kind.param_index(&key) else {
            let known: Vec<&str> = kind.params().iter().map(|p| p.key).collect();
            bail!(
                "{} has no parameter '{k}' (it has: {})",
                kind.key(),
                known.join(", ")
            );
        };
        let p = kind.params()[usize::from(i)];
        let value = match p
            .choices
            .iter()
            .position(|c| c.replace(' ', "") == v.replace(['_', ' '], ""))
        {
            Some(c) => c as f32,
            None => match v {
                "on" | "true" => 1.0,
                "off" | "false" => 0.0,
                _ => v
                    .parse::<f32>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .with_context(|| match p.choices {
                        [] => format!("{}:{k}={v} is not a number", kind.key()),
                        c => format!("{}:{k}={v} is not one of {}", kind.key(), c.join(", ")),
                    })?,
            },
        };
        if value < p.min || value > p.max {
            bail!("{}:{k}={v} is outside {} … {}", kind.key(), p.min, p.max);
        }
        given.push(key.clone());
        ins.params.insert(key, p.sanitise(value).unwrap_or(value));
    }
    // A reverb preset brings its own pre-delay, decay and damping, as it
    // does in the mixer; a value given beside it wins.
    if kind == InsertKind::Reverb && given.iter().any(|k| k == "preset") {
        let i = (ins.get("preset").round().max(0.0) as usize).min(ReverbPreset::ALL.len() - 1);
        let d = ReverbPreset::ALL[i].defaults();
        for (key, v) in [
            ("predelay", d.predelay_ms),
            ("decay", d.decay_s),
            ("damping", d.damping),
        ] {
            if !given.iter().any(|k| k == key) {
                ins.params.insert(key.to_owned(), v);
            }
        }
    }
    if kind == InsertKind::Denoise && ins.get("mode") >= 0.5 && learn.is_none() {
        bail!(
            "denoise:mode=spectral needs a noise print: add learn=START-END (seconds of room tone in the input)"
        );
    }
    Ok((ins, learn))
}

/// Runs the processors on `input` and writes `output` (same length, latency removed).
pub fn process(
    input: &Path,
    output: &Path,
    specs: &[String],
    format: dubstage_media::WavFormat,
    force: bool,
) -> Result<()> {
    if specs.is_empty() {
        bail!("give at least one --insert KIND[:key=value,...]");
    }
    let out_abs = std::path::absolute(output).unwrap_or_else(|_| output.to_owned());
    let in_abs = std::path::absolute(input).unwrap_or_else(|_| input.to_owned());
    if out_abs == in_abs
        || std::fs::canonicalize(output).ok() == std::fs::canonicalize(input).ok()
            && output.exists()
    {
        bail!("{}: the output would replace the input", output.display());
    }
    if output.exists() && !force {
        bail!("{} exists; add --force to replace it", output.display());
    }
    if output.exists()
        && !std::fs::metadata(output)
            .map(|m| m.is_file())
            .unwrap_or(false)
    {
        bail!(
            "{} is not a regular file; refusing to replace it",
            output.display()
        );
    }
    let decoded =
        dubstage_media::decode_file(input).with_context(|| format!("{}", input.display()))?;
    let rate = decoded.audio.sample_rate;
    let mut chans = decoded.audio.channels;
    let frames = chans.first().map_or(0, Vec::len);
    if frames == 0 {
        bail!("{}: no audio", input.display());
    }
    if chans.len() > 2 {
        bail!(
            "{}: {} channels; process takes mono or stereo files",
            input.display(),
            chans.len()
        );
    }
    let block = 4096;
    let mut procs = Vec::new();
    for (n, spec) in specs.iter().enumerate() {
        let (mut ins, learn) = parse_spec(spec, n as u32 + 1)?;
        if let Some((a, b)) = learn {
            let (a, b) = (
                (a * f64::from(rate)) as usize,
                ((b * f64::from(rate)) as usize).min(frames),
            );
            if a >= b {
                bail!(
                    "learn range is outside the input ({:.2} s long)",
                    frames as f64 / f64::from(rate)
                );
            }
            let parts: Vec<&[f32]> = chans.iter().map(|c| &c[a..b]).collect();
            let print = dubstage_dsp::denoise::NoisePrint::learn(&parts, rate)
                .map_err(|e| anyhow::anyhow!("learning the noise print: {e}"))?;
            ins.print = Some(NoisePrintData {
                rate: print.rate,
                fft_size: print.fft_size as u32,
                magnitudes: print.magnitudes,
                source: format!("{}", input.display()),
            });
        }
        procs.push(Proc::build(&ins, rate, chans.len(), block));
    }
    let latency: usize = procs.iter_mut().map(|p| p.latency()).sum();
    // Feed the input, then `latency` samples of silence, and drop the first `latency`.
    for c in chans.iter_mut() {
        c.resize(frames + latency, 0.0);
    }
    let total = frames + latency;
    let mut start = 0;
    while start < total {
        let end = (start + block).min(total);
        for p in procs.iter_mut() {
            let mut rows: Vec<&mut [f32]> = chans.iter_mut().map(|c| &mut c[start..end]).collect();
            p.processor().process(&mut rows, None);
        }
        start = end;
    }
    let out: Vec<&[f32]> = chans
        .iter()
        .map(|c| &c[latency..latency + frames])
        .collect();
    if out.iter().any(|c| c.iter().any(|v| !v.is_finite())) {
        bail!("a processor produced invalid samples; nothing was written");
    }
    dubstage_media::write_wav(output, format, rate, &out)
        .with_context(|| format!("{}", output.display()))?;
    println!(
        "{} → {}: {} inserts, {} frames at {rate} Hz, latency {latency} samples compensated",
        input.display(),
        output.display(),
        procs.len(),
        frames
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_their_keys_and_refuse_clearly() {
        let (i, _) = parse_spec("hpf:freq=80,slope=24", 1).expect("hpf");
        assert_eq!(i.get("freq"), 80.0);
        assert_eq!(i.get("slope"), 24.0);
        let (i, _) = parse_spec("eq:type=bell,freq=3000,gain=-4,q=2", 1).expect("eq");
        assert_eq!(i.get("b1.freq"), 3000.0);
        assert_eq!(i.get("b1.on"), 1.0);
        let (i, _) = parse_spec("eq:type=highshelf", 1).expect("eq");
        assert_eq!(i.get("b1.type"), 2.0);
        let (_, l) =
            parse_spec("denoise:mode=spectral,learn=0.0-1.2,reduction=12", 1).expect("denoise");
        assert_eq!(l, Some((0.0, 1.2)));
        let (i, _) = parse_spec("reverb:preset=exterior_slap", 1).expect("reverb");
        assert_eq!(i.get("preset"), 4.0);
        // A preset brings its own pre-delay, decay and damping, as in the
        // mixer; a value given beside it wins.
        let (i, _) = parse_spec("reverb:preset=hall", 1).expect("hall");
        assert_eq!(
            [i.get("predelay"), i.get("decay"), i.get("damping")],
            [20.0, 2.2, 0.35]
        );
        let (i, _) = parse_spec("reverb:decay=3,preset=hall", 1).expect("hall, decay 3");
        assert_eq!([i.get("predelay"), i.get("decay")], [20.0, 3.0]);
        for (bad, says) in [
            ("hpff", "unknown insert kind"),
            ("hpf:frq=80", "no parameter 'frq'"),
            ("hpf:freq=abc", "not a number"),
            ("hpf:freq=5", "outside"),
            ("comp:threshold", "not key=value"),
            ("denoise:mode=spectral", "needs a noise print"),
        ] {
            let e = parse_spec(bad, 1).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
