use super::*;
use proptest::prelude::*;

fn build(data: &[u8], chunk: u32) -> Vec<u8> {
    let mut w = ChunkWriter::new(Vec::new(), "t".into(), chunk).unwrap();
    for piece in data.chunks(777) {
        w.write(piece).unwrap();
    }
    assert_eq!(w.position(), data.len() as u64);
    w.finish().unwrap()
}

fn sample(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| u8::try_from((i * 31) % 251).unwrap() ^ u8::try_from(i / 1000 % 256).unwrap())
        .collect()
}

#[test]
fn round_trip_and_ranges() {
    let data = sample(10_000);
    let file = build(&data, 1024);
    let r = ChunkReader::open(&file, Path::new("t")).unwrap();
    assert_eq!(r.logical_len(), 10_000);
    assert_eq!(r.chunk_count(), 10);
    assert_eq!(r.read_range(&file, 0, 10_000).unwrap(), data);
    assert_eq!(r.read_range(&file, 1000, 100).unwrap(), data[1000..1100]);
    let before = r.chunks_read();
    r.read_range(&file, 2048, 1024).unwrap();
    assert_eq!(
        r.chunks_read() - before,
        1,
        "an aligned chunk reads one chunk"
    );
    assert!(r.read_range(&file, 9_999, 2).is_err());
}

#[test]
fn empty_data_file() {
    let file = build(&[], 1024);
    let r = ChunkReader::open(&file, Path::new("t")).unwrap();
    assert_eq!(r.logical_len(), 0);
    assert_eq!(r.read_range(&file, 0, 0).unwrap(), Vec::<u8>::new());
}

#[test]
fn bad_chunk_size_rejected() {
    assert!(ChunkWriter::new(Vec::new(), "t".into(), 10).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn flipped_byte_is_detected(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let data = sample(5_000);
        let mut file = build(&data, 1024);
        let at = pos.index(file.len());
        file[at] ^= 1 << bit;
        match ChunkReader::open(&file, Path::new("t")) {
            Err(e) => prop_assert!(e.is_corruption(), "{e}"),
            Ok(r) => match r.read_range(&file, 0, r.logical_len()) {
                Err(e) => prop_assert!(e.is_corruption(), "{e}"),
                Ok(got) => prop_assert_eq!(got, data, "flip at {} went unnoticed", at),
            },
        }
    }

    #[test]
    fn truncation_never_panics(cut in 0usize..6000) {
        let data = sample(5_000);
        let file = build(&data, 1024);
        let file = &file[..cut.min(file.len())];
        if let Ok(r) = ChunkReader::open(file, Path::new("t")) {
            let _ = r.read_range(file, 0, r.logical_len());
        }
    }
}
