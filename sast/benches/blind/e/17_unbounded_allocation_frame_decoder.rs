// Scenario: a tokio TCP server for a binary replication protocol. Each frame
// has a length-prefixed header, a record table and an optional padding hint.
use tokio::io::{AsyncReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MAX_FRAME: usize = 4 * 1024 * 1024;
const MAX_RECORDS: usize = 65_536;
const MAX_KEY: usize = 1024;

struct FrameHeader {
    body_len: u32,
    record_count: u32,
    pad: u16,
}

struct Record {
    key: Vec<u8>,
    value: Vec<u8>,
}

struct Conn {
    rd: BufReader<TcpStream>,
    header: Option<FrameHeader>,
}

impl Conn {
    async fn read_header(&mut self) -> std::io::Result<()> {
        let body_len = self.rd.read_u32().await?;
        let record_count = self.rd.read_u32().await?;
        let pad = self.rd.read_u16().await?;
        self.header = Some(FrameHeader {
            body_len,
            record_count,
            pad,
        });
        Ok(())
    }

    async fn read_body(&mut self) -> std::io::Result<Vec<u8>> {
        let len = self
            .header
            .as_ref()
            .map(|h| h.body_len as usize)
            .unwrap_or(0);
        if len > MAX_FRAME {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "frame too large",
            ));
        }
        let mut body = vec![0u8; len];
        self.rd.read_exact(&mut body).await?;
        Ok(body)
    }

    fn record_table(&self) -> Vec<Record> {
        let count = self.header.as_ref().map_or(0, |h| h.record_count as usize);
        Vec::with_capacity(count) //~ unbounded-allocation
    }

    async fn read_record(&mut self) -> std::io::Result<Record> {
        let klen = self.rd.read_u16().await? as usize;
        let vlen = self.rd.read_u32().await? as usize;
        let mut key = vec![0u8; klen.min(MAX_KEY)];
        self.rd.read_exact(&mut key).await?;
        let mut value = vec![0u8; vlen]; //~ unbounded-allocation
        self.rd.read_exact(&mut value).await?;
        Ok(Record { key, value })
    }

    fn padding(&self) -> String {
        let pad = self.header.as_ref().map(|h| h.pad as usize).unwrap_or(0);
        " ".repeat(pad.clamp(0, 64))
    }
}

fn summarize(records: &[Record]) -> Vec<u8> {
    let total: usize = records.iter().map(|r| r.key.len() + r.value.len()).sum();
    let mut out = Vec::with_capacity(total.min(MAX_FRAME));
    for r in records {
        out.extend_from_slice(&r.key);
        out.extend_from_slice(&r.value);
    }
    out
}

async fn serve(sock: TcpStream) -> std::io::Result<()> {
    let mut conn = Conn {
        rd: BufReader::new(sock),
        header: None,
    };
    loop {
        conn.read_header().await?;
        let _checksum_region = conn.read_body().await?;
        let mut table = conn.record_table();
        let wanted = conn.header.as_ref().map_or(0, |h| h.record_count as usize);
        for _ in 0..wanted.min(MAX_RECORDS) {
            table.push(conn.read_record().await?);
        }
        let mut scratch: Vec<u8> = Vec::new();
        let hint = conn.rd.read_u64().await? as usize;
        scratch.reserve(hint); //~ unbounded-allocation
        scratch.extend(summarize(&table));
        let _ = conn.padding();
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:7700").await?;
    loop {
        let (sock, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = serve(sock).await;
        });
    }
}
