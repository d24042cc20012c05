// https://github.com/bincode-org/bincode/issues/260 (IoReader::fill_buffer: reserve_exact + set_len before read_exact)
use std::io;

pub struct IoReader<R> { reader: R, temp_buffer: Vec<u8> }

impl<R: io::Read> IoReader<R> {
    fn fill_buffer(&mut self, length: usize) -> io::Result<()> {
        let current_length = self.temp_buffer.len();
        if length > current_length {
            self.temp_buffer.reserve_exact(length - current_length);
        }
        unsafe {
            self.temp_buffer.set_len(length); //~ uninitialized-memory
        }
        self.reader.read_exact(&mut self.temp_buffer)?;
        Ok(())
    }

    fn fixed_fill_buffer(&mut self, length: usize) -> io::Result<()> {
        self.temp_buffer.resize(length, 0);
        self.reader.read_exact(&mut self.temp_buffer)?;
        Ok(())
    }
}
