//! Bulk import benchmark (being written).

fn main() {}
