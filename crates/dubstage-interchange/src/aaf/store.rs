//! The AAF object store: objects in a structured-storage (compound) file,
//! each a storage whose class is its CLSID, with a `properties` stream of
//! (pid, stored form, size) entries and their values; strong references
//! are child storages, vectors and sets are child storages named by an
//! index stream, weak references are keys of the objects they name.

use cfb::CompoundFile;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek};
use uuid::Uuid;

/// Deepest object nesting read (a real composition is a dozen levels).
const MAX_DEPTH: usize = 96;
/// Most objects read from one file.
const MAX_OBJECTS: usize = 4_000_000;
/// Largest `properties` or index stream read.
const MAX_META_STREAM: u64 = 64 << 20;
/// Most metadata read from one file, in all.
const MAX_META_TOTAL: u64 = 1 << 30;

const SF_DATA: u16 = 0x82;
const SF_DATA_STREAM: u16 = 0x42;
const SF_STRONG: u16 = 0x22;
const SF_STRONG_VECTOR: u16 = 0x32;
const SF_STRONG_SET: u16 = 0x3A;
const SF_WEAK: u16 = 0x02;
const SF_WEAK_VECTOR: u16 = 0x12;
const SF_WEAK_SET: u16 = 0x1A;

/// One property's value.
#[derive(Debug)]
pub enum Prop {
    Data(Vec<u8>),
    Strong(Box<Obj>),
    /// A strong vector or set, in index order.
    Objects(Vec<Obj>),
    /// A weak reference: the key of the object it names.
    Weak(Vec<u8>),
    WeakList(Vec<Vec<u8>>),
    /// A data stream: its path in the compound file.
    Stream(String),
}

/// One object.
#[derive(Debug)]
pub struct Obj {
    pub class: Uuid,
    pub props: BTreeMap<u16, Prop>,
}

impl Obj {
    pub fn data(&self, pid: u16) -> Option<&[u8]> {
        match self.props.get(&pid) {
            Some(Prop::Data(d)) => Some(d),
            _ => None,
        }
    }

    fn fixed<const N: usize>(&self, pid: u16) -> Option<[u8; N]> {
        self.data(pid)?.get(..N)?.try_into().ok()
    }

    pub fn u8(&self, pid: u16) -> Option<u8> {
        self.fixed::<1>(pid).map(|b| b[0])
    }

    pub fn u16(&self, pid: u16) -> Option<u16> {
        self.fixed(pid).map(u16::from_le_bytes)
    }

    pub fn u32(&self, pid: u16) -> Option<u32> {
        self.fixed(pid).map(u32::from_le_bytes)
    }

    pub fn i64(&self, pid: u16) -> Option<i64> {
        self.fixed(pid).map(i64::from_le_bytes)
    }

    /// A rational (`i32 / i32`), with a positive denominator.
    pub fn rational(&self, pid: u16) -> Option<(i64, i64)> {
        rational(self.data(pid)?)
    }

    /// A UTF-16 string (up to its terminating zero).
    pub fn string(&self, pid: u16) -> Option<String> {
        Some(utf16(self.data(pid)?))
    }

    /// An AUID stored as data (bytes in little-endian GUID order).
    pub fn auid(&self, pid: u16) -> Option<Uuid> {
        self.fixed::<16>(pid).map(Uuid::from_bytes_le)
    }

    pub fn strong(&self, pid: u16) -> Option<&Obj> {
        match self.props.get(&pid) {
            Some(Prop::Strong(o)) => Some(o),
            _ => None,
        }
    }

    pub fn objects(&self, pid: u16) -> &[Obj] {
        match self.props.get(&pid) {
            Some(Prop::Objects(v)) => v,
            _ => &[],
        }
    }

    /// The AUID key of a weak reference (definitions are named so).
    pub fn weak_auid(&self, pid: u16) -> Option<Uuid> {
        match self.props.get(&pid) {
            Some(Prop::Weak(k)) if k.len() == 16 => {
                <[u8; 16]>::try_from(&k[..]).ok().map(Uuid::from_bytes_le)
            }
            _ => None,
        }
    }

    pub fn stream(&self, pid: u16) -> Option<&str> {
        match self.props.get(&pid) {
            Some(Prop::Stream(s)) => Some(s),
            _ => None,
        }
    }
}

pub fn rational(d: &[u8]) -> Option<(i64, i64)> {
    let n = i32::from_le_bytes(d.get(..4)?.try_into().ok()?);
    let m = i32::from_le_bytes(d.get(4..8)?.try_into().ok()?);
    match m {
        0 => None,
        m if m < 0 => Some((-i64::from(n), -i64::from(m))),
        m => Some((i64::from(n), i64::from(m))),
    }
}

pub fn utf16(d: &[u8]) -> String {
    let units: Vec<u16> = d
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// A reader of one compound file's objects.
pub struct Store<F> {
    cf: CompoundFile<F>,
    read: usize,
    bytes: u64,
    /// Storages read already: each object is read once (a damaged index
    /// that names one child twice, or a name that climbs back up, is
    /// refused rather than read again).
    seen: HashSet<String>,
    /// Classes the file defines, each with its parent (for classes this
    /// reader does not know: it treats them as their nearest known parent).
    pub parents: HashMap<Uuid, Uuid>,
}

fn child_path(parent: &str, name: &str) -> String {
    // A name is one storage's: no separators, no climbing.
    let name = if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
        "\u{fffd}"
    } else {
        name
    };
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

impl<F: Read + Seek> Store<F> {
    pub fn open(inner: F) -> Result<Store<F>, String> {
        let cf = CompoundFile::open(inner)
            .map_err(|e| format!("not a structured-storage (AAF) file: {e}"))?;
        Ok(Store {
            cf,
            read: 0,
            bytes: 0,
            seen: HashSet::new(),
            parents: HashMap::new(),
        })
    }

    /// The whole of a metadata stream.
    fn small_stream(&mut self, path: &str) -> Result<Vec<u8>, String> {
        let mut s = self
            .cf
            .open_stream(path)
            .map_err(|e| format!("{path}: {e}"))?;
        if s.len() > MAX_META_STREAM {
            return Err(format!("{path}: {} bytes is too large", s.len()));
        }
        self.bytes += s.len();
        if self.bytes > MAX_META_TOTAL {
            return Err(format!("more than {} MB of metadata", MAX_META_TOTAL >> 20));
        }
        let mut b = Vec::with_capacity(s.len() as usize);
        s.read_to_end(&mut b).map_err(|e| format!("{path}: {e}"))?;
        Ok(b)
    }

    /// Opens a data stream for reading (essence).
    pub fn open_stream(&mut self, path: &str) -> Result<cfb::Stream<F>, String> {
        self.cf
            .open_stream(path)
            .map_err(|e| format!("{path}: {e}"))
    }

    pub fn stream_len(&self, path: &str) -> Option<u64> {
        self.cf.entry(path).ok().map(|e| e.len())
    }

    /// Reads the object stored at `path` and everything it strongly
    /// references, leaving out the properties in `skip`.
    pub fn read(&mut self, path: &str, skip: &[u16], depth: usize) -> Result<Obj, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{path}: objects nested deeper than {MAX_DEPTH}"));
        }
        self.read += 1;
        if self.read > MAX_OBJECTS {
            return Err(format!("more than {MAX_OBJECTS} objects"));
        }
        if !self.seen.insert(path.to_owned()) {
            return Err(format!("{path}: an object referred to twice"));
        }
        let entry = self.cf.entry(path).map_err(|e| format!("{path}: {e}"))?;
        if !entry.is_storage() {
            return Err(format!("{path}: an object that is not a storage"));
        }
        let class = *entry.clsid();
        let mut obj = Obj {
            class,
            props: BTreeMap::new(),
        };
        let props_path = child_path(path, "properties");
        if !self.cf.is_stream(&props_path) {
            return Ok(obj);
        }
        let b = self.small_stream(&props_path)?;
        let bad = |what: &str| format!("{props_path}: {what}");
        if b.len() < 4 {
            return Err(bad("shorter than its header"));
        }
        if b[0] != 0x4C {
            return Err(bad("big-endian properties are not read"));
        }
        let count = usize::from(u16::from_le_bytes([b[2], b[3]]));
        let mut at = 4 + 6 * count;
        if b.len() < at {
            return Err(bad("shorter than its entries"));
        }
        let mut entries = Vec::with_capacity(count);
        for i in 0..count {
            let e = &b[4 + 6 * i..10 + 6 * i];
            let pid = u16::from_le_bytes([e[0], e[1]]);
            let form = u16::from_le_bytes([e[2], e[3]]);
            let size = usize::from(u16::from_le_bytes([e[4], e[5]]));
            let value = b
                .get(at..at + size)
                .ok_or_else(|| bad("a value past its end"))?;
            at += size;
            entries.push((pid, form, value.to_vec()));
        }
        for (pid, form, value) in entries {
            if skip.contains(&pid) {
                continue;
            }
            let prop = match form {
                SF_DATA => Prop::Data(value),
                SF_DATA_STREAM => {
                    let name = utf16(value.get(1..).unwrap_or(&[]));
                    Prop::Stream(child_path(path, &name))
                }
                SF_STRONG => {
                    let name = utf16(&value);
                    Prop::Strong(Box::new(self.read(
                        &child_path(path, &name),
                        skip,
                        depth + 1,
                    )?))
                }
                SF_STRONG_VECTOR | SF_STRONG_SET => {
                    let name = utf16(&value);
                    let index = self.small_stream(&child_path(path, &format!("{name} index")))?;
                    let keys = strong_index(&index, form == SF_STRONG_SET)
                        .ok_or_else(|| bad(&format!("a malformed index of {name}")))?;
                    let mut v = Vec::with_capacity(keys.len());
                    for k in keys {
                        v.push(self.read(
                            &child_path(path, &format!("{name}{{{k:x}}}")),
                            skip,
                            depth + 1,
                        )?);
                    }
                    Prop::Objects(v)
                }
                SF_WEAK => {
                    let key = value.get(5..).unwrap_or(&[]).to_vec();
                    Prop::Weak(key)
                }
                SF_WEAK_VECTOR | SF_WEAK_SET => {
                    let name = utf16(&value);
                    let path = child_path(path, &format!("{name} index"));
                    match self.small_stream(&path) {
                        Ok(index) => Prop::WeakList(weak_index(&index).unwrap_or_default()),
                        Err(_) => continue,
                    }
                }
                _ => continue,
            };
            obj.props.insert(pid, prop);
        }
        Ok(obj)
    }
}

/// The local keys of a strong vector's or set's index stream.
fn strong_index(b: &[u8], set: bool) -> Option<Vec<u32>> {
    let u32_at =
        |i: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    let count = u32_at(0)? as usize;
    if set {
        let key_size = usize::from(*b.get(14)?);
        let stride = 8 + key_size;
        if count > b.len().saturating_sub(15) / stride {
            return None;
        }
        (0..count).map(|i| u32_at(15 + i * stride)).collect()
    } else {
        if count > b.len().saturating_sub(12) / 4 {
            return None;
        }
        (0..count).map(|i| u32_at(12 + i * 4)).collect()
    }
}

/// The keys of a weak vector's or set's index stream (AUIDs or mob ids).
fn weak_index(b: &[u8]) -> Option<Vec<Vec<u8>>> {
    let count = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let key_size = usize::from(*b.get(8)?);
    if !matches!(key_size, 16 | 32) || count > (b.len().saturating_sub(9)) / key_size {
        return None;
    }
    Some(
        (0..count)
            .map(|i| b[9 + i * key_size..9 + (i + 1) * key_size].to_vec())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_indexes_are_refused_not_expanded() {
        // A weak index of 4 billion keys of no size.
        let mut b = vec![0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0];
        assert!(weak_index(&b).is_none());
        b[8] = 16;
        assert!(weak_index(&b).is_none());
        // A strong vector index claiming more keys than it holds.
        let mut v = vec![0u8; 12];
        v[..4].copy_from_slice(&1000u32.to_le_bytes());
        assert!(strong_index(&v, false).is_none());
        v[..4].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(strong_index(&v, false), Some(Vec::new()));
        // Names do not climb out of their storage.
        assert_eq!(child_path("/a", ".."), "/a/\u{fffd}");
        assert_eq!(child_path("/a", "b/c"), "/a/\u{fffd}");
        assert_eq!(child_path("/", "Header-2"), "/Header-2");
    }
}
