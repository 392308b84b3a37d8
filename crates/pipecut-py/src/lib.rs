//! # pipecut-py
//!
//! The native module `pipecut._native` of the `pipecut` Python package
//! (built by maturin from the repository's `pyproject.toml`; the pure-Python
//! parts live in `python/pipecut/`).
//!
//! - [`drop_in`]: `auto_partition`, torchtitan's autopartition signature,
//!   as plain Rust ([`drop_in::DropIn`]).
//! - [`convert`]: Python values to Rust ones, failures naming the argument.
//! - [`py_chain`], [`py_plan`]: the `Layer`, `Chain` and `Plan` classes.
//! - [`py_api`]: the module's functions (`plan`, `simulate`, `compare`,
//!   `algorithms`, `models`, `hardware`, `run_suite`); solves release the GIL.
//! - [`error`]: the typed [`Error`], raised as `pipecut.Error` (a `ValueError`).
//!
//! ```
//! use pipecut_native::drop_in::DropIn;
//! let starts = DropIn::new(vec![1.0, 1.0, 4.0, 1.0, 1.0], vec![2.0; 5], 2, 4).solve()?;
//! assert_eq!(starts, vec![0, 3]);
//! # Ok::<(), pipecut_native::Error>(())
//! ```
#![deny(missing_docs)]

pub mod convert;
pub mod drop_in;
pub mod error;
pub mod py_api;
pub mod py_chain;
pub mod py_plan;

pub use error::{Error, Result};

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<error::exception::Error>())?;
    m.add("DEFAULT_ALGORITHM", pipecut::registry::DEFAULT_ALGORITHM)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<py_chain::PyLayer>()?;
    m.add_class::<py_chain::PyChain>()?;
    m.add_class::<py_plan::PyPlan>()?;
    m.add_function(wrap_pyfunction!(py_api::auto_partition, m)?)?;
    m.add_function(wrap_pyfunction!(py_api::plan, m)?)?;
    m.add_function(wrap_pyfunction!(py_api::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(py_api::compare, m)?)?;
    m.add_function(wrap_pyfunction!(py_api::algorithms, m)?)?;
    m.add_function(wrap_pyfunction!(py_api::models, m)?)?;
    m.add_function(wrap_pyfunction!(py_api::hardware, m)?)?;
    m.add_function(wrap_pyfunction!(py_api::run_suite, m)?)?;
    Ok(())
}
