//! The reviewer's pages: the queue, an appeal with the subject's derivation and the contested
//! item, claiming, assigning and deciding, and the statistics.

pub mod review;
