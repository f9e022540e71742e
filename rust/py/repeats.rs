//! Binding of in-page repeats (`crate::repeats`): the runs of lines a page repeats, and
//! datatrove's repetition statistics.

use pyo3::prelude::*;

use super::convert::{text_arg, texts_arg};
use super::guard::guard;
use crate::parallel::map_ordered;
use crate::repeats::{self, Repeat, RepeatParams};

type RepeatPy = (usize, usize, usize, usize, usize);

fn repeats_py(repeats: Vec<Repeat>) -> Vec<RepeatPy> {
    repeats.into_iter().map(|r| (r.start, r.end, r.source_start, r.source_end, r.lines)).collect()
}

#[pyfunction]
#[pyo3(signature = (text, min_lines = 3, min_chars = 200, long_chars = 500))]
fn find_repeats(
    text: &Bound<'_, PyAny>,
    min_lines: u32,
    min_chars: u32,
    long_chars: u32,
) -> PyResult<Vec<RepeatPy>> {
    guard(|| {
        let text = text_arg(text, None)?;
        let params = RepeatParams { min_lines, min_chars, long_chars };
        Ok(repeats_py(repeats::find_repeats(&text, &params)?))
    })
}

#[pyfunction]
#[pyo3(signature = (texts, min_lines = 3, min_chars = 200, long_chars = 500, num_threads = None))]
fn find_repeats_batch(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    min_lines: u32,
    min_chars: u32,
    long_chars: u32,
    num_threads: Option<usize>,
) -> PyResult<Vec<Vec<RepeatPy>>> {
    guard(|| {
        let params = RepeatParams { min_lines, min_chars, long_chars };
        // Checked once for the batch, before the texts are read.
        params.check()?;
        let texts = texts_arg(texts)?;
        let results =
            py.detach(|| map_ordered(&texts, num_threads, |t| repeats::find_repeats(t, &params)))?;
        Ok(results.into_iter().map(|r| r.map(repeats_py)).collect::<Result<_, _>>()?)
    })
}

type RepetitionPy = (usize, usize, usize, usize, usize, usize, usize, Vec<usize>, Vec<usize>);

fn repetition_py(c: repeats::RepetitionCounts) -> RepetitionPy {
    (
        c.chars,
        c.paragraphs,
        c.dup_paragraphs,
        c.dup_paragraph_chars,
        c.lines,
        c.dup_lines,
        c.dup_line_chars,
        c.top_ngram_chars,
        c.dup_ngram_chars,
    )
}

#[pyfunction]
#[pyo3(signature = (text, top_ns = vec![2, 3, 4], dup_ns = vec![5, 6, 7, 8, 9, 10]))]
fn repetition_counts(
    text: &Bound<'_, PyAny>,
    top_ns: Vec<usize>,
    dup_ns: Vec<usize>,
) -> PyResult<RepetitionPy> {
    guard(|| {
        let text = text_arg(text, None)?;
        Ok(repetition_py(repeats::repetition_counts(&text, &top_ns, &dup_ns)?))
    })
}

#[pyfunction]
#[pyo3(signature = (texts, top_ns = vec![2, 3, 4], dup_ns = vec![5, 6, 7, 8, 9, 10], num_threads = None))]
fn repetition_counts_batch(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    top_ns: Vec<usize>,
    dup_ns: Vec<usize>,
    num_threads: Option<usize>,
) -> PyResult<Vec<RepetitionPy>> {
    guard(|| {
        // Checked once for the batch, before the texts are read.
        repeats::check_ngram_sizes(&top_ns, &dup_ns)?;
        let texts = texts_arg(texts)?;
        let results = py.detach(|| {
            map_ordered(&texts, num_threads, |t| repeats::repetition_counts(t, &top_ns, &dup_ns))
        })?;
        Ok(results.into_iter().map(|r| r.map(repetition_py)).collect::<Result<_, _>>()?)
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(find_repeats, m)?)?;
    m.add_function(wrap_pyfunction!(find_repeats_batch, m)?)?;
    m.add_function(wrap_pyfunction!(repetition_counts, m)?)?;
    m.add_function(wrap_pyfunction!(repetition_counts_batch, m)?)?;
    Ok(())
}
