// Desktop sync client that saves its connection profile (server, user, credentials) as JSON and TOML.
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::BufWriter;

#[derive(Serialize, Deserialize, Clone)]
pub struct Profile {
    pub server: String,
    pub username: String,
    pub password: String,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct PublicProfile {
    pub server: String,
    pub username: String,
    #[serde(skip)]
    pub password: String,
}

#[derive(Serialize, Deserialize)]
pub struct ApiSettings {
    pub endpoint: String,
    pub api_key: String,
    pub retries: u32,
}

#[derive(Serialize)]
pub struct UiSettings {
    pub theme: String,
    pub font_size: u32,
}

pub struct ProfileStore {
    dir: std::path::PathBuf,
}

impl ProfileStore {
    pub fn save(&self, profile: &Profile) -> anyhow::Result<()> {
        let file = File::create(self.dir.join("profile.json"))?;
        let writer = BufWriter::new(file);
        serde_json::to_writer_pretty(writer, profile)?; //~ cleartext-storage
        Ok(())
    }

    pub fn save_public(&self, profile: &Profile) -> anyhow::Result<()> {
        let public = PublicProfile {
            server: profile.server.clone(),
            username: profile.username.clone(),
            password: profile.password.clone(),
        };
        let file = File::create(self.dir.join("public.json"))?;
        serde_json::to_writer(file, &public)?;
        Ok(())
    }

    pub fn save_api(&self, endpoint: &str, key: Option<&str>) -> anyhow::Result<()> {
        let settings = ApiSettings {
            endpoint: endpoint.to_string(),
            api_key: key.map(str::to_owned).unwrap_or_default(),
            retries: 3,
        };
        let text = toml::to_string(&settings)?;
        std::fs::write(self.dir.join("api.toml"), text)?; //~ cleartext-storage
        Ok(())
    }

    pub fn save_ui(&self, theme: &str) -> anyhow::Result<()> {
        let ui = UiSettings { theme: theme.into(), font_size: 12 };
        std::fs::write(self.dir.join("ui.toml"), toml::to_string(&ui)?)?;
        Ok(())
    }
}
