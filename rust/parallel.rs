//! Running batch work on a rayon pool of a chosen size.
//!
//! A caller's `num_threads` is capped at the threads worth running, the size of rayon's global
//! pool (one thread per core, or `RAYON_NUM_THREADS`): on a 2-core machine `num_threads=1024`
//! runs on the 2 threads of the global pool, not on 1,024 new ones. Smaller counts run on a
//! pool of that size, built once per size and reused by every later call, so a loop of calls
//! passing `num_threads` starts no threads after the first. Results never depend on the count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::error::Error;

/// The pools of fewer threads than the global one, by size; never dropped (at most one per
/// size below the core count).
fn pools() -> &'static Mutex<HashMap<usize, Arc<rayon::ThreadPool>>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The number of threads `num_threads` runs on: at least 1, at most the global pool's size.
pub fn effective_threads(num_threads: usize) -> usize {
    num_threads.clamp(1, rayon::current_num_threads().max(1))
}

/// The shared pool of `threads` threads (fewer than the global pool's), built on first use.
fn pool_of(threads: usize) -> Result<Arc<rayon::ThreadPool>, Error> {
    // A panic elsewhere while the lock was held leaves the map itself intact: keep using it.
    let mut pools = pools().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = pools.get(&threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("neardup-{threads}-{i}"))
        .build()
        .map_err(|e| Error::InvalidArgument(format!("cannot start {threads} threads: {e}")))?;
    let pool = Arc::new(pool);
    pools.insert(threads, Arc::clone(&pool));
    Ok(pool)
}

/// Run `work` on `num_threads` threads (`None`: rayon's global pool, one thread per core),
/// capped at the global pool's size (see the module's documentation).
fn on_pool<R: Send>(num_threads: Option<usize>, work: impl FnOnce() -> R + Send) -> Result<R, Error> {
    match num_threads {
        None => Ok(work()),
        Some(0) => Err(Error::InvalidArgument("num_threads must be >= 1".into())),
        Some(requested) => {
            let threads = effective_threads(requested);
            if threads >= rayon::current_num_threads() {
                return Ok(work());
            }
            Ok(pool_of(threads)?.install(work))
        }
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

/// `map_ordered` where `f` also gets a worker's `scratch`, made by `init` a few times per
/// batch and reused across items. `f`'s result must not depend on what an earlier item left
/// in the scratch, so that results never depend on the thread count.
pub fn map_ordered_init<T, R, S, I, F>(
    items: &[T],
    num_threads: Option<usize>,
    init: I,
    f: F,
) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, &T) -> R + Sync + Send,
{
    on_pool(num_threads, || items.par_iter().map_init(&init, |scratch, item| f(scratch, item)).collect())
}

/// `f(item, other)` for each item and its partner of `others` (as long as `items`), in order,
/// in parallel on `num_threads` threads (`None`: one per core).
pub fn map_ordered_zip<T, U, R, F>(
    items: &[T],
    others: &[U],
    num_threads: Option<usize>,
    f: F,
) -> Result<Vec<R>, Error>
where
    T: Sync,
    U: Sync,
    R: Send,
    F: Fn(&T, &U) -> R + Sync + Send,
{
    assert_eq!(items.len(), others.len(), "map_ordered_zip: slices of different lengths");
    on_pool(num_threads, || items.par_iter().zip(others.par_iter()).map(|(t, u)| f(t, u)).collect())
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

    #[test]
    fn pools_are_capped_and_reused() {
        let cores = rayon::current_num_threads();
        assert_eq!(effective_threads(1024), cores);
        assert_eq!(effective_threads(1), 1);
        let items: Vec<usize> = (0..100).collect();
        let threads_seen = |n| {
            map_ordered(&items, Some(n), |_| rayon::current_num_threads()).unwrap().into_iter().max().unwrap()
        };
        assert_eq!(threads_seen(1024), cores);
        assert_eq!(threads_seen(1), 1);
        let first = pool_of(1).unwrap();
        assert!(Arc::ptr_eq(&first, &pool_of(1).unwrap()));
    }
}
