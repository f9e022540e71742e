//! Texts kept in a spool file, read back by byte range. The `clean` job keeps its cleaned
//! texts in one and compares them in pairs many times over: a batch reads the texts it needs
//! itself, in parallel, instead of being handed each one as a Python str.

use std::fs::File;

use crate::cluster::check_pairs;
use crate::error::Error;
use crate::parallel::map_ordered;

/// Where each document's text lies in the spool: `(first byte, size in bytes)`, from the
/// documents' `starts` and `sizes`.
pub fn extents(starts: &[i64], sizes: &[i64]) -> Result<Vec<(u64, usize)>, Error> {
    if starts.len() != sizes.len() {
        return Err(Error::InvalidArgument(format!("got {} starts but {} sizes", starts.len(), sizes.len())));
    }
    starts
        .iter()
        .zip(sizes)
        .enumerate()
        .map(|(k, (&start, &size))| match (u64::try_from(start), usize::try_from(size)) {
            (Ok(start), Ok(size)) => Ok((start, size)),
            (Err(_), _) => Err(Error::InvalidArgument(format!("starts[{k}] must be >= 0, got {start}"))),
            (_, Err(_)) => Err(Error::InvalidArgument(format!("sizes[{k}] must be >= 0, got {size}"))),
        })
        .collect()
}

/// Pairs of documents as the documents they name (ascending, each once) and the pairs as
/// indices into that list.
pub type LocalPairs = (Vec<usize>, Vec<(usize, usize)>);

/// `pairs` as `LocalPairs`, after checking that each names one of `count` documents.
pub fn local_pairs(count: usize, pairs: &[(usize, usize)]) -> Result<LocalPairs, Error> {
    check_pairs(count, pairs)?;
    let mut docs: Vec<usize> = pairs.iter().flat_map(|&(i, j)| [i, j]).collect();
    docs.sort_unstable();
    docs.dedup();
    let local = |d: usize| docs.binary_search(&d).expect("a document of the pairs");
    let pairs = pairs.iter().map(|&(i, j)| (local(i), local(j))).collect();
    Ok((docs, pairs))
}

/// The texts of `docs` (indices into `extents`), read from `file` in parallel on
/// `num_threads` threads; each must be UTF-8.
pub fn read_texts(
    file: &File,
    extents: &[(u64, usize)],
    docs: &[usize],
    num_threads: Option<usize>,
) -> Result<Vec<String>, Error> {
    for &d in docs {
        if d >= extents.len() {
            return Err(Error::InvalidArgument(format!(
                "document {d} out of range for {} documents",
                extents.len()
            )));
        }
    }
    map_ordered(docs, num_threads, |&d| read_text(file, extents[d]))?.into_iter().collect()
}

fn read_text(file: &File, (start, size): (u64, usize)) -> Result<String, Error> {
    let mut bytes = vec![0u8; size];
    read_exact_at(file, &mut bytes, start).map_err(|error| {
        Error::Io(match error.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                format!("the spool ends inside the text at byte {start} ({size} bytes)")
            }
            _ => format!("reading the spool at byte {start}: {error}"),
        })
    })?;
    String::from_utf8(bytes)
        .map_err(|_| Error::InvalidArgument(format!("the text at byte {start} of the spool is not UTF-8")))
}

#[cfg(unix)]
fn read_exact_at(file: &File, bytes: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut bytes: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::io::{Error as IoError, ErrorKind};
    while !bytes.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, bytes, offset) {
            Ok(0) => return Err(IoError::new(ErrorKind::UnexpectedEof, "end of file")),
            Ok(read) => {
                bytes = &mut bytes[read..];
                offset += read as u64;
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn spool(texts: &[&str]) -> (File, Vec<(u64, usize)>) {
        let mut file = tempfile_in_target();
        let mut extents = Vec::new();
        let mut at = 0u64;
        for text in texts {
            file.write_all(&(text.len() as u64).to_le_bytes()).unwrap();
            file.write_all(text.as_bytes()).unwrap();
            extents.push((at + 8, text.len()));
            at += 8 + text.len() as u64;
        }
        file.flush().unwrap();
        (file, extents)
    }

    fn tempfile_in_target() -> File {
        let dir = std::env::temp_dir();
        let path =
            dir.join(format!("neardup-spool-test-{}-{:?}", std::process::id(), std::thread::current().id()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }

    #[test]
    fn reads_each_text_by_its_extent() {
        let (file, extents) = spool(&["one", "", "drei ü", "four"]);
        let texts = read_texts(&file, &extents, &[2, 0, 1], Some(2)).unwrap();
        assert_eq!(texts, vec!["drei ü".to_string(), "one".to_string(), String::new()]);
    }

    #[test]
    fn a_text_past_the_end_or_not_utf8_is_an_error() {
        let (file, _) = spool(&["abc"]);
        let short = read_texts(&file, &[(8, 10)], &[0], None).unwrap_err();
        assert_eq!(short, Error::Io("the spool ends inside the text at byte 8 (10 bytes)".into()));
        let (file, extents) = spool(&["é"]);
        let cut = read_texts(&file, &[(extents[0].0, 1)], &[0], None).unwrap_err();
        assert_eq!(cut, Error::InvalidArgument("the text at byte 8 of the spool is not UTF-8".into()));
        assert!(read_texts(&file, &extents, &[1], None).is_err());
    }

    #[test]
    fn pairs_are_made_local_to_the_documents_they_name() {
        let (docs, pairs) = local_pairs(10, &[(7, 3), (3, 9), (7, 7)]).unwrap();
        assert_eq!(docs, vec![3, 7, 9]);
        assert_eq!(pairs, vec![(1, 0), (0, 2), (1, 1)]);
        assert!(local_pairs(5, &[(1, 5)]).is_err());
        assert!(extents(&[0, -1], &[1, 1]).is_err());
        assert!(extents(&[0], &[1, 1]).is_err());
    }
}
