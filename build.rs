// The default theme and the migrations are embedded with include_dir!/include_str!;
// tell cargo to rebuild when any of their files change (include_dir alone
// does not notice new files).
fn main() {
    println!("cargo:rerun-if-changed=themes");
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=src/demo/content.toml");
}
