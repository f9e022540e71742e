//! Binding of site chrome (`crate::chrome`): line keys and the `ChromeModel`, whose strip also
//! removes in-page repeats (`crate::repeats`).

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyTuple;

use super::convert::{borrow_str, spans_array, text_arg, texts_arg, NotText};
use super::guard::guard;
use crate::chrome::{self, LineKeys, Model, Params};
use crate::error::Error;
use crate::hash::KeyMap;
use crate::parallel::map_ordered;
use crate::repeats::RepeatParams;

type LineKeysPy<'py> = (
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
);

fn line_keys_py(py: Python<'_>, keys: LineKeys) -> LineKeysPy<'_> {
    let lengths: Vec<i64> = keys.lengths.iter().map(|&l| i64::from(l)).collect();
    (
        spans_array(py, &keys.spans),
        keys.fingerprints.into_pyarray(py),
        keys.shapes.into_pyarray(py),
        lengths.into_pyarray(py),
        keys.closed.into_pyarray(py),
        keys.worded.into_pyarray(py),
        keys.stamps.into_pyarray(py),
        keys.stamp_tails.into_pyarray(py),
        keys.stamp_texts.into_pyarray(py),
    )
}

#[pyfunction]
fn line_keys<'py>(py: Python<'py>, text: &Bound<'py, PyAny>) -> PyResult<LineKeysPy<'py>> {
    guard(|| {
        let text = text_arg(text, None)?;
        Ok(line_keys_py(py, chrome::line_keys(&text)))
    })
}

#[pyfunction]
#[pyo3(signature = (texts, num_threads = None))]
fn line_keys_batch<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    num_threads: Option<usize>,
) -> PyResult<Vec<LineKeysPy<'py>>> {
    guard(|| {
        let texts = texts_arg(texts)?;
        let results = py.detach(|| map_ordered(&texts, num_threads, |t| chrome::line_keys(t)))?;
        Ok(results.into_iter().map(|k| line_keys_py(py, k)).collect())
    })
}

/// Texts (borrowed) and their site keys, for use without the GIL.
fn pairs_arg(texts: &Bound<'_, PyAny>, sites: &Bound<'_, PyAny>) -> PyResult<Vec<(PyBackedStr, String)>> {
    let texts = texts_arg(texts)?;
    let mut names = Vec::new();
    for (i, site) in sites.try_iter()?.enumerate() {
        names.push(site_arg(&site?, i)?);
    }
    if texts.len() != names.len() {
        return Err(Error::InvalidArgument(format!(
            "got {} texts but {} sites; give one site per text",
            texts.len(),
            names.len()
        ))
        .into());
    }
    Ok(texts.into_iter().zip(names).collect())
}

/// The site key of document `doc`, with the reference's errors: they name the site, not the
/// document's text.
fn site_arg(site: &Bound<'_, PyAny>, doc: usize) -> PyResult<String> {
    match borrow_str(site)? {
        Ok(name) => Ok(name.into_owned()),
        Err(NotText::Type(type_name)) => {
            Err(Error::WrongType(format!("document {doc}: site must be str, got {type_name}")).into())
        }
        Err(why) => Err(why.error(&format!("document {doc}: site")).into()),
    }
}

type DecisionsPy<'py> = (Bound<'py, PyArray2<i64>>, Bound<'py, PyArray1<u8>>);
type SiteStatePy<'py> = (
    u64,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u32>>,
);

/// Per-site statistics of masked line fingerprints and shapes, and cross-site counts.
#[pyclass(module = "neardup._core")]
struct ChromeModel {
    inner: Model,
}

#[pymethods]
impl ChromeModel {
    #[new]
    #[allow(clippy::too_many_arguments)] // one per decision parameter, as the Python class
    #[pyo3(signature = (min_pages = 3, template_permille = 300, inner_permille = 500, shape_permille = 300, penalty = 200, cross_sites = 3, title_lines = 3, decay_chars = 3000, decay_floor_permille = 250, box_chars = 0, small_penalty = 20, run_cost = Some(100), decay_pages = 0, max_runs = None, cut_comments = true))]
    fn new(
        min_pages: u32,
        template_permille: u32,
        inner_permille: u32,
        shape_permille: u32,
        penalty: u32,
        cross_sites: u32,
        title_lines: u32,
        decay_chars: u32,
        decay_floor_permille: u32,
        box_chars: u32,
        small_penalty: u32,
        run_cost: Option<u32>,
        decay_pages: u32,
        max_runs: Option<u32>,
        cut_comments: bool,
    ) -> PyResult<Self> {
        let params = Params {
            min_pages,
            template_permille,
            inner_permille,
            shape_permille,
            penalty,
            cross_sites,
            title_lines,
            decay_chars,
            decay_floor_permille,
            box_chars,
            small_penalty,
            run_cost,
            decay_pages,
            max_runs,
            cut_comments,
        };
        guard(|| Ok(ChromeModel { inner: Model::new(params)? }))
    }

    /// The parameters in the order of the constructor's arguments (run_cost None: the main
    /// region only; cut_comments a bool).
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let p = self.inner.params;
        guard(|| {
            let values = [
                Some(p.min_pages),
                Some(p.template_permille),
                Some(p.inner_permille),
                Some(p.shape_permille),
                Some(p.penalty),
                Some(p.cross_sites),
                Some(p.title_lines),
                Some(p.decay_chars),
                Some(p.decay_floor_permille),
                Some(p.box_chars),
                Some(p.small_penalty),
                p.run_cost,
                Some(p.decay_pages),
                p.max_runs,
            ];
            let mut items: Vec<Bound<'py, PyAny>> = Vec::with_capacity(values.len() + 1);
            for value in values {
                items.push(value.into_pyobject(py)?.into_any());
            }
            items.push(pyo3::types::PyBool::new(py, p.cut_comments).to_owned().into_any());
            PyTuple::new(py, items)
        })
    }

    /// Count the pages: line keys in parallel with the GIL released, then merged in order.
    #[pyo3(signature = (texts, sites, num_threads = None))]
    fn add(
        &mut self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        sites: &Bound<'_, PyAny>,
        num_threads: Option<usize>,
    ) -> PyResult<()> {
        guard(|| {
            let pairs = pairs_arg(texts, sites)?;
            let model = &mut self.inner;
            py.detach(|| {
                let keys = map_ordered(&pairs, num_threads, |(text, _)| chrome::line_keys(text))?;
                for ((_, site), keys) in pairs.iter().zip(&keys) {
                    model.add(site, keys);
                }
                Ok::<_, Error>(())
            })?;
            Ok(())
        })
    }

    #[pyo3(signature = (texts, sites, num_threads = None))]
    fn decide<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        sites: &Bound<'py, PyAny>,
        num_threads: Option<usize>,
    ) -> PyResult<Vec<DecisionsPy<'py>>> {
        guard(|| {
            let pairs = pairs_arg(texts, sites)?;
            let model = &self.inner;
            let results = py.detach(|| {
                map_ordered(&pairs, num_threads, |(text, site)| {
                    let keys = chrome::line_keys(text);
                    let decisions = model.decide(site, &keys);
                    (keys.spans, decisions)
                })
            })?;
            Ok(results.into_iter().map(|(spans, d)| (spans_array(py, &spans), d.into_pyarray(py))).collect())
        })
    }

    /// Removed spans `(start, end, code)` of each page (code 4: an in-page repeat), as an
    /// `(n, 3)` int64 array; keys computed once per line for decisions and repeats.
    #[pyo3(signature = (texts, sites, repeats = true, num_threads = None))]
    fn strip<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        sites: &Bound<'py, PyAny>,
        repeats: bool,
        num_threads: Option<usize>,
    ) -> PyResult<Vec<Bound<'py, PyArray2<i64>>>> {
        guard(|| {
            let pairs = pairs_arg(texts, sites)?;
            let model = &self.inner;
            let params = RepeatParams::default();
            let results = py.detach(|| {
                map_ordered(&pairs, num_threads, |(text, site)| {
                    model.strip_keys(site, &chrome::page_keys(text), repeats.then_some(&params))
                })
            })?;
            Ok(results.into_iter().map(|r| removed_array(py, &r)).collect())
        })
    }

    /// Count the pages, then strip them: each line keyed once for both.
    #[pyo3(signature = (texts, sites, repeats = true, num_threads = None))]
    fn add_strip<'py>(
        &mut self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        sites: &Bound<'py, PyAny>,
        repeats: bool,
        num_threads: Option<usize>,
    ) -> PyResult<Vec<Bound<'py, PyArray2<i64>>>> {
        guard(|| {
            let pairs = pairs_arg(texts, sites)?;
            let model = &mut self.inner;
            let params = RepeatParams::default();
            let results = py.detach(|| {
                let keys = map_ordered(&pairs, num_threads, |(text, _)| chrome::page_keys(text))?;
                for ((_, site), page) in pairs.iter().zip(&keys) {
                    model.add(site, &page.keys);
                }
                let model = &*model;
                let jobs: Vec<(&str, &chrome::PageKeys)> =
                    pairs.iter().map(|(_, s)| s.as_str()).zip(&keys).collect();
                map_ordered(&jobs, num_threads, |(site, page)| {
                    model.strip_keys(site, page, repeats.then_some(&params))
                })
            })?;
            Ok(results.into_iter().map(|r| removed_array(py, &r)).collect())
        })
    }

    /// Per page, an `(n, 2)` uint32 array: for each line (split on LF), on how many of its
    /// site's counted pages it occurs and on how many sites (0 and 0 for a blank line; the
    /// first 0 on a site not in the model).
    #[pyo3(signature = (texts, sites, num_threads = None))]
    fn line_counts<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        sites: &Bound<'py, PyAny>,
        num_threads: Option<usize>,
    ) -> PyResult<Vec<Bound<'py, PyArray2<u32>>>> {
        guard(|| {
            let pairs = pairs_arg(texts, sites)?;
            let model = &self.inner;
            let results = py.detach(|| {
                map_ordered(&pairs, num_threads, |(text, site)| {
                    model.line_counts(site, &chrome::page_keys(text).keys.fingerprints)
                })
            })?;
            results
                .into_iter()
                .map(|counts| {
                    let n = counts.len();
                    let flat: Vec<u32> = counts.into_iter().flatten().collect();
                    flat.into_pyarray(py).reshape([n, 2])
                })
                .collect()
        })
    }

    fn site_names(&self) -> PyResult<Vec<String>> {
        guard(|| Ok(self.inner.sites.keys().cloned().collect()))
    }

    fn site_state<'py>(&self, py: Python<'py>, site: &str) -> PyResult<SiteStatePy<'py>> {
        guard(|| {
            let stats = self.inner.site(site)?;
            let sorted = |table: &KeyMap<u32>| {
                let mut entries: Vec<(u64, u32)> = table.iter().map(|(&k, &v)| (k, v)).collect();
                entries.sort_unstable();
                let keys: Vec<u64> = entries.iter().map(|e| e.0).collect();
                let counts: Vec<u32> = entries.iter().map(|e| e.1).collect();
                (keys, counts)
            };
            let (line_keys, line_counts) = sorted(&stats.lines);
            let (shape_keys, shape_counts) = sorted(&stats.shapes);
            Ok((
                stats.pages,
                line_keys.into_pyarray(py),
                line_counts.into_pyarray(py),
                shape_keys.into_pyarray(py),
                shape_counts.into_pyarray(py),
            ))
        })
    }

    fn insert_site(
        &mut self,
        site: &Bound<'_, PyAny>,
        pages: u64,
        line_fingerprints: Vec<u64>,
        line_counts: Vec<u32>,
        shape_keys: Vec<u64>,
        shape_counts: Vec<u32>,
    ) -> PyResult<()> {
        guard(|| {
            let site = site_arg(site, 0)?;
            if line_fingerprints.len() != line_counts.len() || shape_keys.len() != shape_counts.len() {
                return Err(Error::InvalidArgument(format!(
                    "site \"{site}\": keys and counts differ in length"
                ))
                .into());
            }
            let lines: Vec<(u64, u32)> = line_fingerprints.into_iter().zip(line_counts).collect();
            let shapes: Vec<(u64, u32)> = shape_keys.into_iter().zip(shape_counts).collect();
            Ok(self.inner.insert_site(&site, pages, &lines, &shapes)?)
        })
    }
}

fn removed_array<'py>(py: Python<'py>, removed: &[(usize, usize, u8)]) -> Bound<'py, PyArray2<i64>> {
    let flat: Vec<i64> = removed.iter().flat_map(|&(s, e, c)| [s as i64, e as i64, i64::from(c)]).collect();
    let n = removed.len();
    flat.into_pyarray(py).reshape([n, 3]).expect("n * 3 values reshape to (n, 3)")
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ChromeModel>()?;
    m.add_function(wrap_pyfunction!(line_keys, m)?)?;
    m.add_function(wrap_pyfunction!(line_keys_batch, m)?)?;
    Ok(())
}
