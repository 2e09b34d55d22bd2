//! A `LiveState` as an emulator state file, so an org can be copied and planned against offline.
