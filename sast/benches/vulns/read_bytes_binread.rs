// https://github.com/jam1garner/binread/pull/20 (read_bytes helper: set_len after reading into an empty Vec)
use std::io::Read;

pub fn read_bytes<R: Read>(reader: &mut R, count: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(count);
    reader.read_exact(&mut buf)?;
    unsafe { buf.set_len(count) }; //~ uninitialized-memory
    Ok(buf)
}

pub fn fixed_read_bytes<R: Read>(reader: &mut R, count: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; count];
    reader.read_exact(&mut buf)?;
    Ok(buf)
}
