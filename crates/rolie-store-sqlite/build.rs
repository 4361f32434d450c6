//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the folder, but
//! cargo does not watch it by itself (the build script sqlx's documentation recommends).

fn main() {
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
}
