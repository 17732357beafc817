//! Round trips through a real server: content comes back byte for byte, many files go over
//! one command, and the overwrite rules hold on both sides.

mod common;

use common::*;

fn round_trip(content: &[u8], name: &str) {
    let s = Server::start();
    s.file(name, content);
    let put = s.nf(&["put", name]);
    assert!(put.status.success(), "put: {}", stderr(&put));
    let out = s.work.join("out");
    std::fs::create_dir(&out).unwrap();
    let get = s.nf(&["get", name, "-o", "out"]);
    assert!(get.status.success(), "get: {}", stderr(&get));
    assert_same(&std::fs::read(out.join(name)).unwrap(), content, "content");
    // The stored copy is byte for byte the same, and ls reports its true hash and size.
    assert_same(&s.read_stored(name), content, "content");
    let ls = s.ls();
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0]["size"], content.len() as u64);
    assert_eq!(ls[0]["blake3"], blake3_hex(content));
}

#[test]
fn an_empty_file_round_trips() {
    round_trip(b"", "empty");
}

#[test]
fn a_one_byte_file_round_trips() {
    round_trip(b"x", "one");
}

#[test]
fn a_10_mib_random_file_round_trips_byte_for_byte() {
    round_trip(&random_bytes(10 << 20, 7), "random.bin");
}

#[test]
fn a_file_of_exactly_one_store_part_round_trips() {
    // 8 MiB is one whole part on the object store: a multipart upload of one part, whose hash
    // cannot be merged from part hashes and comes from that part's own root hash.
    round_trip(&random_bytes(8 << 20, 8), "one-part.bin");
}

#[test]
fn binary_data_that_is_not_utf8_round_trips() {
    let mut data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    data.extend_from_slice(b"\xff\xfe\n\r\n\0NF/1\n{\"op\":\"put\"}\n");
    round_trip(&data, "binary.dat");
}

#[test]
fn many_files_go_up_and_down_in_one_command_each() {
    let s = Server::start();
    let mut names = Vec::new();
    for i in 0..200 {
        let name = format!("f{i:03}.txt");
        s.file(&name, format!("file number {i}\n").repeat(i).as_bytes());
        names.push(name);
    }
    let mut args = vec!["put"];
    args.extend(names.iter().map(String::as_str));
    let put = s.nf(&args);
    assert!(put.status.success(), "{}", stderr(&put));
    assert!(stderr(&put).contains("uploaded 200 files"), "{}", stderr(&put));
    // One connection for the whole command: the server logged one peer for all puts.
    let log = s.log_after(|l| l.contains(" put \"f199.txt\""));
    let peers: std::collections::HashSet<&str> = log
        .lines()
        .filter(|l| l.contains(" put "))
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(peers.len(), 1, "puts came over {} connections", peers.len());
    assert_eq!(s.names(), names);

    std::fs::create_dir(s.work.join("back")).unwrap();
    let mut args = vec!["get", "-o", "back"];
    args.extend(names.iter().map(String::as_str));
    let get = s.nf(&args);
    assert!(get.status.success(), "{}", stderr(&get));
    for (i, name) in names.iter().enumerate() {
        let back = std::fs::read(s.work.join("back").join(name)).unwrap();
        assert_eq!(back, format!("file number {i}\n").repeat(i).as_bytes(), "{name}");
    }
}

#[test]
fn put_refuses_an_existing_name_unless_forced() {
    let s = Server::start();
    s.file("a.txt", b"first");
    assert!(s.nf(&["put", "a.txt"]).status.success());
    s.file("a.txt", b"second");
    let again = s.nf(&["put", "a.txt"]);
    assert_fails(&again, 4, "already exists");
    assert_eq!(s.read_stored("a.txt"), b"first");
    let forced = s.nf(&["put", "-f", "a.txt"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(s.read_stored("a.txt"), b"second");
}

#[test]
fn put_as_stores_under_another_name_and_only_with_one_file() {
    let s = Server::start();
    s.file("local.txt", b"content");
    s.file("other.txt", b"other");
    assert!(s.nf(&["put", "local.txt", "--as", "remote.txt"]).status.success());
    assert_eq!(s.names(), vec!["remote.txt"]);
    let both = s.nf(&["put", "local.txt", "other.txt", "--as", "x"]);
    assert_fails(&both, 2, "--as");
}

#[test]
fn get_never_overwrites_a_local_file_without_force() {
    let s = Server::start();
    s.file("a.txt", b"server copy");
    assert!(s.nf(&["put", "a.txt"]).status.success());
    s.file("a.txt", b"precious local edit");
    let get = s.nf(&["get", "a.txt"]);
    assert_fails(&get, 4, "already exists");
    assert_eq!(
        std::fs::read(s.work.join("a.txt")).unwrap(),
        b"precious local edit"
    );
    let forced = s.nf(&["get", "-f", "a.txt"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(std::fs::read(s.work.join("a.txt")).unwrap(), b"server copy");
    // No partial is left beside the target.
    let leftovers: Vec<_> = std::fs::read_dir(&s.work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("nf-part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn get_writes_to_a_named_file_or_to_stdout() {
    let s = Server::start();
    s.file("a.txt", b"alpha");
    s.file("b.txt", b"beta");
    assert!(s.nf(&["put", "a.txt", "b.txt"]).status.success());
    let named = s.nf(&["get", "a.txt", "-o", "renamed.txt"]);
    assert!(named.status.success(), "{}", stderr(&named));
    assert_eq!(std::fs::read(s.work.join("renamed.txt")).unwrap(), b"alpha");
    let out = s.nf(&["get", "a.txt", "b.txt", "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"alphabeta");
    let two_to_file = s.nf(&["get", "a.txt", "b.txt", "-o", "nodir"]);
    assert_fails(&two_to_file, 2, "existing directory");
}

#[test]
fn a_missing_file_is_not_found_and_the_others_still_arrive() {
    let s = Server::start();
    s.file("here.txt", b"here");
    assert!(s.nf(&["put", "here.txt"]).status.success());
    std::fs::remove_file(s.work.join("here.txt")).unwrap();
    let get = s.nf(&["get", "missing.txt", "here.txt"]);
    assert_fails(&get, 3, "no file named \"missing.txt\"");
    assert_eq!(std::fs::read(s.work.join("here.txt")).unwrap(), b"here");
}

#[test]
fn rm_deletes_and_reports_missing_names() {
    let s = Server::start();
    s.file("a", b"1");
    s.file("b", b"2");
    assert!(s.nf(&["put", "a", "b"]).status.success());
    let rm = s.nf(&["rm", "a"]);
    assert!(rm.status.success(), "{}", stderr(&rm));
    assert_eq!(s.names(), vec!["b"]);
    assert_eq!(s.stored(), vec!["b"]);
    let missing = s.nf(&["rm", "a", "b"]);
    assert_fails(&missing, 3, "no file named \"a\"");
    assert!(s.names().is_empty());
}

#[test]
fn twenty_concurrent_clients_each_get_their_own_files_back() {
    let s = Server::start();
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let work = s.work.join(format!("c{i}"));
            std::fs::create_dir_all(work.join("back")).unwrap();
            let data = random_bytes(200_000 + i * 1000, i as u64 + 1);
            std::fs::write(work.join(format!("client{i}.bin")), &data).unwrap();
            let cmd_put = s.cmd_in(&work, &["put", &format!("client{i}.bin")]);
            let cmd_get = s.cmd_in(&work, &["get", &format!("client{i}.bin"), "-o", "back"]);
            std::thread::spawn(move || {
                let (mut cmd_put, mut cmd_get) = (cmd_put, cmd_get);
                let put = cmd_put.output().unwrap();
                assert!(put.status.success(), "{}", stderr(&put));
                let get = cmd_get.output().unwrap();
                assert!(get.status.success(), "{}", stderr(&get));
                let back = std::fs::read(work.join("back").join(format!("client{i}.bin"))).unwrap();
                assert_same(&back, &data, "downloaded copy");
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.ls().len(), 20);
}

#[test]
fn more_large_uploads_at_once_than_direct_writers_are_all_stored_exactly() {
    let s = Server::start();
    // The server writes at most two uploads with O_DIRECT at once; the others go through the
    // page cache. Five at once, of sizes off the 4 KiB grid, take both paths side by side.
    let files: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| {
            (
                format!("big{i}.bin"),
                random_bytes((9 << 20) + i * 4099 + 1, 30 + i as u64),
            )
        })
        .collect();
    for (name, data) in &files {
        s.file(name, data);
    }
    let running: Vec<_> = files
        .iter()
        .map(|(name, _)| {
            s.cmd_in(&s.work, &["put", name.as_str()])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in running {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let ls = s.ls();
    assert_eq!(ls.len(), files.len());
    for (name, data) in &files {
        assert_same(&s.read_stored(name), data, name);
        let entry = ls.iter().find(|e| e["name"] == name.as_str()).unwrap();
        assert_eq!(entry["size"], data.len() as u64);
        assert_eq!(entry["blake3"], blake3_hex(data));
    }
}
