// `sqlx::migrate!` embeds the migrations when the crate compiles; without this a new migration
// file would not rebuild it, and a binary built before would run without that migration.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
