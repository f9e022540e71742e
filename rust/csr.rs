//! Many documents' values in one flat array (CSR layout): document `i` owns
//! `values[offsets[i]..offsets[i + 1]]`. Shingle hashes come this way to MinHash, SimHash and
//! the exact overlaps, and weights beside them to weighted SimHash. A dense matrix is the case
//! of rows of one width: shape `(rows, cols)`, row-major, row `i` at
//! `values[i * cols..(i + 1) * cols]` (signatures, band keys, priorities); its shape travels
//! with it, as an `(n, 0)` matrix holds no value to count its rows by.

use crate::error::Error;

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

/// Check that `len` values fill a matrix of shape `(rows, cols)`. Only a Rust caller can get
/// this wrong: the binding passes a numpy array's values with its own shape.
pub fn check_shape(len: usize, (rows, cols): (usize, usize), what: &str) -> Result<(), Error> {
    if rows.checked_mul(cols) != Some(len) {
        return Err(Error::InvalidArgument(format!(
            "{len} values of {what} do not make {rows} rows of {cols}"
        )));
    }
    Ok(())
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

    #[test]
    fn a_shape_counts_rows_of_nothing() {
        assert!(check_shape(6, (2, 3), "x").is_ok());
        assert!(check_shape(0, (5, 0), "x").is_ok());
        assert!(check_shape(5, (2, 3), "x").is_err());
        assert!(check_shape(0, (usize::MAX, 2), "x").is_err());
    }
}
