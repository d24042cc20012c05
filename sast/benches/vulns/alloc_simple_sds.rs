// https://github.com/jltsiren/simple-sds/pull/25 (Vec::load: capacity and length read from the input)
use std::io::{self, Read};

fn load_usize<T: Read>(reader: &mut T) -> io::Result<usize> {
    let mut bytes = [0u8; 8];
    reader.read_exact(&mut bytes)?;
    Ok(u64::from_le_bytes(bytes) as usize)
}

pub fn load<T: Read>(reader: &mut T) -> io::Result<Vec<u8>> {
    let size = load_usize(reader)?;
    let mut value: Vec<u8> = Vec::with_capacity(size); //~ unbounded-allocation
    unsafe {
        value.set_len(size); //~ uninitialized-memory
    }
    reader.read_exact(&mut value)?;
    Ok(value)
}

pub fn fixed_load<T: Read>(reader: &mut T) -> io::Result<Vec<u8>> {
    let size = load_usize(reader)?;
    // The fix removed the uninitialised read; the size is still unchecked.
    let mut value = vec![0u8; size]; //~ unbounded-allocation
    reader.read_exact(&mut value)?;
    Ok(value)
}
