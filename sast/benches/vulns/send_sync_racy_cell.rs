// https://github.com/enarx/enarx/pull/1442 (RacyCell: unsafe impl Sync without bounds)
use std::cell::UnsafeCell;

pub struct RacyCell<T>(UnsafeCell<T>);

unsafe impl<T> Sync for RacyCell<T> {} //~ unsafe-send-sync

pub struct FixedRacyCell<T>(UnsafeCell<T>);

unsafe impl<T> Sync for FixedRacyCell<T> where T: Send + Sync {}
