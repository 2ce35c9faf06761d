//! The `driftlab` binary: parse the command line and hand over to [`cli`].

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// Huge pages for large worlds (same results, faster random reads; see `driftlab::alloc`).
#[global_allocator]
static ALLOC: driftlab::alloc::HugePages = driftlab::alloc::HugePages;

fn main() -> ExitCode {
    cli::main(cli::Cli::parse())
}
