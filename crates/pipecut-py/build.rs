//! Lets `cargo test` binaries find libpython at run time (an rpath to the
//! interpreter's library folder). Maturin's extension-module builds do not
//! link libpython, and PyO3 adds nothing for them.
fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
}
