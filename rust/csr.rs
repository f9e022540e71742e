//! Many documents' values in one flat array (CSR layout): document `i` owns
//! `values[offsets[i]..offsets[i + 1]]`. Shingle hashes come this way to MinHash, SimHash and
//! the exact overlaps, and weights beside them to weighted SimHash.

use crate::Error;

/// Check CSR offsets over `len` values; returns the number of documents.
pub fn check_offsets(offsets: &[usize], len: usize) -> Result<usize, Error> {
    if offsets.first() != Some(&0) {
        return Err(Error::InvalidArgument("offsets must start with 0".into()));
    }
    if let Some(doc) = offsets.windows(2).position(|w| w[1] < w[0]) {
        return Err(Error::InvalidArgument(format!(
            "document {doc}: offsets decrease ({} > {})",
            offsets[doc],
            offsets[doc + 1]
        )));
    }
    if offsets[offsets.len() - 1] != len {
        return Err(Error::InvalidArgument(format!(
            "offsets must end at the number of hashes ({len}), got {}",
            offsets[offsets.len() - 1]
        )));
    }
    Ok(offsets.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_start_at_zero_rise_and_end_at_the_length() {
        assert_eq!(check_offsets(&[0, 2, 2, 5], 5), Ok(3));
        assert_eq!(check_offsets(&[0], 0), Ok(0));
        assert!(check_offsets(&[], 0).is_err());
        assert!(check_offsets(&[1, 5], 5).is_err());
        assert!(check_offsets(&[0, 3, 2, 5], 5).is_err());
        assert!(check_offsets(&[0, 4], 5).is_err());
    }
}
