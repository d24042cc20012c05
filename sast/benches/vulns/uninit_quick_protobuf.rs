// https://github.com/tafia/quick-protobuf/issues/274 (Reader::from_reader, set_len on fresh capacity)
use std::io::Read;

pub struct Reader { buffer: Vec<u8> }

impl Reader {
    pub fn from_reader<R: Read>(mut r: R, capacity: usize) -> std::io::Result<Reader> {
        let mut buf = Vec::with_capacity(capacity);
        unsafe {
            buf.set_len(capacity); //~ uninitialized-memory
        }
        buf.shrink_to_fit();
        r.read_exact(&mut buf)?;
        Ok(Reader { buffer: buf })
    }

    pub fn fixed_from_reader<R: Read>(mut r: R, capacity: usize) -> std::io::Result<Reader> {
        let mut buf = vec![0u8; capacity];
        r.read_exact(&mut buf)?;
        Ok(Reader { buffer: buf })
    }
}
