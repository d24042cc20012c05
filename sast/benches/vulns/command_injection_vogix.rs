// https://github.com/i-am-logger/vogix/pull/122 (reload: `sh -c "touch -h <config_path>"`; fix commit fd961b7 passes the path as an argument)
use std::process::Command;

pub struct AppMetadata {
    pub reload_method: String,
    pub config_path: String,
}

pub struct ReloadDispatcher;

impl ReloadDispatcher {
    pub fn reload_app(&self, metadata: &AppMetadata) -> Result<String, String> {
        match metadata.reload_method.as_str() {
            "touch" => {
                // Touch the symlink itself (-h flag) to update its mtime
                let cmd = format!("touch -h {}", metadata.config_path);
                self.run_command(&cmd)?;
                Ok("touched to trigger auto-reload".to_string())
            }
            _ => Err(format!("Unknown reload method: {}", metadata.reload_method)),
        }
    }

    fn run_command(&self, cmd: &str) -> Result<(), String> {
        let output = Command::new("sh")
            .arg("-c")
            .arg(cmd) //~ command-injection
            .output()
            .map_err(|e| format!("Failed to run command: {}", e))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        Ok(())
    }

    pub fn fixed_reload_app(&self, metadata: &AppMetadata) -> Result<String, String> {
        match metadata.reload_method.as_str() {
            "touch" => {
                Command::new("touch")
                    .arg("-h")
                    .arg(&metadata.config_path)
                    .status()
                    .map_err(|e| e.to_string())?;
                Ok("touched to trigger auto-reload".to_string())
            }
            _ => Err(format!("Unknown reload method: {}", metadata.reload_method)),
        }
    }
}
