//! Running batch work on a rayon pool of a chosen size.

use rayon::prelude::*;

use crate::Error;

/// Map `f` over `items` in parallel, keeping input order, on `num_threads` threads
/// (`None`: rayon's global pool, one thread per core). Results never depend on the count.
pub fn map_ordered<T, R, F>(items: &[T], num_threads: Option<usize>, f: F) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    match num_threads {
        None => Ok(items.par_iter().map(&f).collect()),
        Some(0) => Err(Error::InvalidArgument("num_threads must be >= 1".into())),
        Some(threads) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Error::InvalidArgument(format!("cannot start {threads} threads: {e}")))?;
            Ok(pool.install(|| items.par_iter().map(&f).collect()))
        }
    }
}
