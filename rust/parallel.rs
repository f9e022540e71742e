//! Running batch work on a rayon pool of a chosen size.

use rayon::prelude::*;

use crate::error::Error;

/// Run `work` on `num_threads` threads (`None`: rayon's global pool, one thread per core).
fn on_pool<R: Send>(num_threads: Option<usize>, work: impl FnOnce() -> R + Send) -> Result<R, Error> {
    match num_threads {
        None => Ok(work()),
        Some(0) => Err(Error::InvalidArgument("num_threads must be >= 1".into())),
        Some(threads) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::InvalidArgument(format!("cannot start {threads} threads: {e}")))?
            .install(work)),
    }
}

/// Map `f` over `items` in parallel, keeping input order, on `num_threads` threads
/// (`None`: rayon's global pool, one thread per core). Results never depend on the count.
pub fn map_ordered<T, R, F>(items: &[T], num_threads: Option<usize>, f: F) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    on_pool(num_threads, || items.par_iter().map(&f).collect())
}

/// Fill `out`, rows of `width` values, one row per item: `f(scratch, item, row)` in parallel on
/// `num_threads` threads (`None`: one per core). Each worker reuses a `scratch` made by `init`,
/// so per-item working memory is allocated a few times per batch rather than once per item.
/// Rows are written in place: the result needs no gathering, and it never depends on the count.
pub fn fill_rows<T, R, S, I, F>(
    items: &[T],
    out: &mut [R],
    width: usize,
    num_threads: Option<usize>,
    init: I,
    f: F,
) -> Result<(), Error>
where
    T: Sync,
    R: Send,
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, &T, &mut [R]) + Sync + Send,
{
    if width == 0 || out.len() != items.len() * width {
        return Err(Error::InvalidArgument(format!(
            "{} output values do not make {} rows of {width}",
            out.len(),
            items.len()
        )));
    }
    on_pool(num_threads, || {
        items
            .par_iter()
            .zip(out.par_chunks_mut(width))
            .for_each_init(&init, |scratch, (item, row)| f(scratch, item, row))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_rows_is_ordered_and_independent_of_threads() {
        let items: Vec<u64> = (0..1000).collect();
        let mut one = vec![0u64; 3000];
        let mut two = vec![0u64; 3000];
        let square_rows = |scratch: &mut Vec<u64>, &x: &u64, row: &mut [u64]| {
            scratch.clear();
            scratch.extend([x, x * x, x + 7]);
            row.copy_from_slice(scratch);
        };
        fill_rows(&items, &mut one, 3, Some(1), Vec::new, square_rows).unwrap();
        fill_rows(&items, &mut two, 3, Some(2), Vec::new, square_rows).unwrap();
        assert_eq!(one, two);
        assert_eq!(&one[3 * 999..], &[999, 999 * 999, 1006]);
        assert!(fill_rows(&items, &mut one[..5], 3, None, Vec::new, square_rows).is_err());
        assert!(fill_rows(&items, &mut one, 3, Some(0), Vec::new, square_rows).is_err());
    }
}
