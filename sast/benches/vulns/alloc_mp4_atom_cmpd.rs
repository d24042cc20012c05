// https://github.com/kixelated/mp4-atom/issues/180 (cmpd box: Vec::with_capacity of a u32 count read from the file, up to ~137 GB; fix PR #200, commit 9676bb0, caps it at 1024)
use bytes::Buf;

#[derive(Debug)]
pub enum Error {
    OutOfBounds,
}

pub type Result<T> = std::result::Result<T, Error>;

pub trait Decode: Sized {
    fn decode<B: Buf>(buf: &mut B) -> Result<Self>;
}

impl<const N: usize> Decode for [u8; N] {
    fn decode<B: Buf>(buf: &mut B) -> Result<Self> {
        if buf.remaining() < N {
            return Err(Error::OutOfBounds);
        }
        let mut v = [0u8; N];
        buf.copy_to_slice(&mut v);
        Ok(v)
    }
}

impl Decode for u32 {
    fn decode<B: Buf>(buf: &mut B) -> Result<Self> {
        Ok(Self::from_be_bytes(<[u8; 4]>::decode(buf)?))
    }
}

impl Decode for u16 {
    fn decode<B: Buf>(buf: &mut B) -> Result<Self> {
        Ok(Self::from_be_bytes(<[u8; 2]>::decode(buf)?))
    }
}

pub struct Component {
    pub component_type: u16,
}

pub struct Cmpd {
    pub components: Vec<Component>,
}

impl Cmpd {
    pub fn decode_body<B: Buf>(buf: &mut B) -> Result<Self> {
        let component_count = u32::decode(buf)?;
        let mut components: Vec<Component> = Vec::with_capacity(component_count as usize); //~ unbounded-allocation
        for _ in 0..component_count {
            let component_type = u16::decode(buf)?;
            components.push(Component { component_type });
        }
        Ok(Cmpd { components })
    }

    pub fn fixed_decode_body<B: Buf>(buf: &mut B) -> Result<Self> {
        let component_count = u32::decode(buf)?;
        let mut components: Vec<Component> =
            Vec::with_capacity((component_count as usize).min(1024));
        for _ in 0..component_count {
            let component_type = u16::decode(buf)?;
            components.push(Component { component_type });
        }
        Ok(Cmpd { components })
    }
}
