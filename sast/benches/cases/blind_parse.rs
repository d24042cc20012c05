// A crate's own `parse()` constructor is not a command-line parser, even
// in a file that uses clap elsewhere (kept apart from `blind.rs`: a method
// named `parse` there would stand for every `.parse()` call).
use clap::Parser;
mod not_clap {
    pub struct Settings {
        pub hook: String,
    }

    impl Settings {
        pub fn parse() -> Settings {
            Settings {
                hook: "make build".into(),
            }
        }
    }

    pub fn neg_own_parse_function() {
        let s = Settings::parse();
        std::process::Command::new("sh").arg("-c").arg(&s.hook).status().unwrap();
    }
}
