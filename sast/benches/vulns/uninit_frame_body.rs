// https://github.com/iii-hq/iii/pull/1544 (frame body: with_capacity + set_len + read_exact, flagged in review)
use std::io::Read;

pub fn read_frame<R: Read>(reader: &mut R, frame_len: usize) -> std::io::Result<Vec<u8>> {
    let mut body: Vec<u8> = Vec::with_capacity(frame_len);
    unsafe { body.set_len(frame_len) }; //~ uninitialized-memory
    if let Err(e) = reader.read_exact(&mut body) {
        body.truncate(0);
        return Err(e);
    }
    Ok(body)
}

pub fn fixed_read_frame<R: Read>(reader: &mut R, frame_len: usize) -> std::io::Result<Vec<u8>> {
    let mut body = vec![0u8; frame_len];
    reader.read_exact(&mut body)?;
    Ok(body)
}
