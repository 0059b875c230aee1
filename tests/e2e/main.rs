//! End-to-end tests: the real `perk` binary, real components built from `policies/`,
//! `examples/` and `tests/fixtures/`, no mocks. One test binary (see host/Cargo.toml).

mod support;

mod cli;
mod parity;
mod reload;
mod sandbox;
mod service;
mod simulate;
