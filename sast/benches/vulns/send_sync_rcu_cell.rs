// https://github.com/Xudong-Huang/rcu_cell/pull/4 (RUSTSEC-2020-0131: RcuCell<T> Send/Sync without bounds)
use std::sync::atomic::AtomicPtr;

pub struct RcuCell<T> { link: AtomicPtr<T> }

unsafe impl<T> Send for RcuCell<T> {} //~ unsafe-send-sync
unsafe impl<T> Sync for RcuCell<T> {} //~ unsafe-send-sync

pub struct FixedRcuCell<T> { link: AtomicPtr<T> }

unsafe impl<T: Send> Send for FixedRcuCell<T> {}
unsafe impl<T: Send + Sync> Sync for FixedRcuCell<T> {}
