// https://github.com/Eugeny/russh/security/advisories/GHSA-g9f8-wqj9-fjw5 (RUSTSEC-2026-0153: SSH agent client resizes its buffer to a peer-supplied u32 frame length; fix commit a2d48a71 caps frames at 256 KiB)
use byteorder::{BigEndian, ByteOrder};
use russh_cryptovec::CryptoVec;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug)]
pub enum Error {
    AgentProtocolError,
    Io(std::io::Error),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

const MAX_AGENT_FRAME_LEN: usize = 256 * 1024;

pub struct AgentClient<S> {
    stream: S,
    buf: CryptoVec,
}

impl<S: AsyncRead + AsyncWrite + Unpin> AgentClient<S> {
    async fn read_response(&mut self) -> Result<(), Error> {
        // Writing the message
        self.stream.write_all(&self.buf).await?;
        self.stream.flush().await?;

        // Reading the length
        self.buf.clear();
        self.buf.resize(4, 0);
        self.stream.read_exact(&mut self.buf).await?;

        // Reading the rest of the buffer
        let len = BigEndian::read_u32(&self.buf) as usize;
        self.buf.clear();
        self.buf.resize(len, 0); //~ unbounded-allocation
        self.stream.read_exact(&mut self.buf).await?;

        Ok(())
    }

    async fn fixed_read_frame(&mut self) -> Result<(), Error> {
        self.buf.clear();
        self.buf.resize(4, 0);
        self.stream.read_exact(&mut self.buf).await?;

        let len = BigEndian::read_u32(&self.buf) as usize;
        if len > MAX_AGENT_FRAME_LEN {
            return Err(Error::AgentProtocolError);
        }

        self.buf.clear();
        self.buf.resize(len, 0);
        self.stream.read_exact(&mut self.buf).await?;
        Ok(())
    }
}
