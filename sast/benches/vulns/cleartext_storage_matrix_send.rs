// https://github.com/tilosp/matrix-send-rs/issues/54 (session.json with the access token written world-readable; fix commit a6330c7 / PR #65 sets 0600)
use std::fs::{self, File};
use std::path::PathBuf;

#[derive(serde::Serialize, serde::Deserialize)]
struct SessionData {
    homeserver: String,
    access_token: String,
    device_id: String,
    user_id: String,
}

impl SessionData {
    fn save(&self, path: &PathBuf) -> std::io::Result<()> {
        fs::create_dir_all(path.parent().unwrap())?;
        let writer = File::create(path)?;
        serde_json::to_writer_pretty(writer, self)?; //~ cleartext-storage
        Ok(())
    }

    fn fixed_save(&self, path: &PathBuf) -> std::io::Result<()> {
        fs::create_dir_all(path.parent().unwrap())?;
        let writer = File::create(path)?;
        serde_json::to_writer_pretty(&writer, self)?;
        SessionData::fixed_set_permissions(&writer)?;
        Ok(())
    }

    #[cfg(unix)]
    fn fixed_set_permissions(file: &File) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let perms = file.metadata()?.permissions();
        // is the file world-readable? if so, reset the permissions to 600
        if perms.mode() & 0o4 == 0o4 {
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        Ok(())
    }
}
