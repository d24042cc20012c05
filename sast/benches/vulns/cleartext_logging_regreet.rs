// https://github.com/rharish101/ReGreet/issues/110 (the greeter debug-logs every input message; the password field's educe attribute `Debug = "ignore"` only renamed the field, so the password was logged; fix commit c75486b uses `Debug(ignore)`)
use educe::Educe;
use log::debug;

#[derive(Debug)]
pub struct UserSessInfo {
    pub user_id: Option<String>,
    pub sess_id: Option<String>,
}

/// The messages sent by the view to the model
#[derive(Educe)]
#[educe(Debug)]
pub enum InputMsg {
    /// Login request: `input` is the text of the password entry.
    Login {
        #[educe(Debug = "ignore")]
        input: String,
        info: UserSessInfo,
    },
    Cancel,
}

pub struct Greeter {
    sess_info: Option<UserSessInfo>,
}

impl Greeter {
    pub async fn update(&mut self, msg: InputMsg) {
        debug!("Got input message: {msg:?}"); //~ cleartext-logging
        match msg {
            InputMsg::Login { input, info } => {
                self.sess_info = Some(info);
                self.login_click_handler(input).await
            }
            InputMsg::Cancel => {}
        }
    }

    async fn login_click_handler(&mut self, _password: String) {}
}

#[derive(Educe)]
#[educe(Debug)]
pub enum FixedInputMsg {
    Login {
        #[educe(Debug(ignore))]
        input: String,
        info: UserSessInfo,
    },
    Cancel,
}

impl Greeter {
    pub async fn fixed_update(&mut self, msg: FixedInputMsg) {
        debug!("Got input message: {msg:?}");
        match msg {
            FixedInputMsg::Login { input, info } => {
                self.sess_info = Some(info);
                self.login_click_handler(input).await
            }
            FixedInputMsg::Cancel => {}
        }
    }
}
