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
fn a_64_mib_random_file_round_trips_byte_for_byte() {
    // The size .ci/platforms moves with the Windows client: many windows of 16 MiB each way.
    round_trip(&random_bytes(64 << 20, 27), "big.bin");
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
    assert_fails(&two_to_file, 2, "-o must be a directory");
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
                assert!(put.status.success(), "put: {}: {}", put.status, stderr(&put));
                let get = cmd_get.output().unwrap();
                assert!(get.status.success(), "get: {}: {}", get.status, stderr(&get));
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

/// Runs `nf put ARGS` with `stdin` as its standard input.
fn put_with_stdin(s: &Server, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = s
        .cmd_in(&s.work, args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // Written from a thread: the client reads it while it sends, through a 64 KiB pipe.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn a_pipe_of_one_megabyte_arrives_byte_for_byte_through_put_dash() {
    let s = Server::start();
    let data: Vec<u8> = (1..=170_000)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    assert!(data.len() > 1 << 20);
    let out = put_with_stdin(&s, &["put", "-", "--as", "seq.txt"], &data);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("uploaded 1 file (1.0 MiB)"),
        "{}",
        stderr(&out)
    );
    assert_same(&s.read_stored("seq.txt"), &data, "stored stream");
    let ls = s.ls();
    assert_eq!(ls[0]["size"], data.len() as u64);
    assert_eq!(ls[0]["blake3"], blake3_hex(&data));
    // /dev/stdin is a path to the same pipe, read the same way.
    let out = put_with_stdin(&s, &["put", "/dev/stdin", "--as", "again.txt"], &data);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&s.read_stored("again.txt"), &data, "stored /dev/stdin");
    // Standard input has no name of its own.
    let out = put_with_stdin(&s, &["put", "-"], b"x");
    assert_fails(&out, 2, "standard input (-) has no name: give one with --as NAME");
}

#[test]
fn a_fifo_is_read_to_its_end_and_stored_whole() {
    let s = Server::start();
    let fifo = s.work.join("feed");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let data = random_bytes(3 << 20, 31);
    let writer = {
        let (fifo, data) = (fifo.clone(), data.clone());
        // Opening a FIFO for writing waits for the reader (the client) to open it.
        std::thread::spawn(move || std::fs::write(fifo, data).unwrap())
    };
    let out = s.nf(&["put", "feed"]);
    writer.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&s.read_stored("feed"), &data, "stored FIFO");
    assert_eq!(s.ls()[0]["blake3"], blake3_hex(&data));
}

#[test]
fn an_empty_stream_stores_an_empty_file() {
    let s = Server::start();
    let out = put_with_stdin(&s, &["put", "-", "--as", "nothing"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.read_stored("nothing"), b"");
    assert_eq!(s.ls()[0]["blake3"], blake3_hex(b""));
}

#[test]
fn a_batch_with_bad_items_completes_the_others_and_reports_each_failure_then_the_summary() {
    let s = Server::start();
    s.file("a.txt", b"first\n");
    s.file("b.txt", b"second\n");
    s.file("taken.txt", b"new\n");
    s.file("tab\tname.txt", b"bad name\n");
    s.place_by_hand("taken.txt", b"old\n");
    let out = s.nf(&[
        "put",
        "a.txt",
        "tab\tname.txt",
        "missing.txt",
        "taken.txt",
        "b.txt",
    ]);
    let err = stderr(&out);
    // The first failure in command-line order decides the exit code: the invalid name (2).
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[0].starts_with("nf: error: ") && lines[0].contains("control characters"),
        "{err}"
    );
    assert!(
        lines[1..3].iter().any(|l| l.contains("cannot open missing.txt")),
        "{err}"
    );
    assert!(
        lines[1..3]
            .iter()
            .any(|l| l.contains("\"taken.txt\" already exists")),
        "{err}"
    );
    // The summary comes last and counts what succeeded.
    assert!(lines[3].starts_with("uploaded 2 of 5 files (13 B) in "), "{err}");
    assert!(
        lines[3].ends_with("; 3 failed: 1 invalid name, 1 not found, 1 already exists (use -f)"),
        "{err}"
    );
    assert_eq!(s.read_stored("a.txt"), b"first\n");
    assert_eq!(s.read_stored("b.txt"), b"second\n");
    assert_eq!(
        s.read_stored("taken.txt"),
        b"old\n",
        "an existing name is never replaced"
    );

    // get and rm likewise try every name.
    let get = s.nf(&["get", "a.txt", "../x", "nope.txt", "b.txt", "-o", "back/"]);
    let err = stderr(&get);
    assert_eq!(get.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid name \"../x\""), "{err}");
    assert!(err.contains("no file named \"nope.txt\""), "{err}");
    assert!(err.contains("\ndownloaded 2 of 4 files (13 B) in "), "{err}");
    assert!(
        err.trim_end()
            .ends_with("; 2 failed: 1 invalid name, 1 not found"),
        "{err}"
    );
    assert_eq!(std::fs::read(s.work.join("back/a.txt")).unwrap(), b"first\n");
    assert_eq!(std::fs::read(s.work.join("back/b.txt")).unwrap(), b"second\n");
    let rm = s.nf(&["rm", "nope.txt", "a.txt", "bad/../name"]);
    let err = stderr(&rm);
    assert_eq!(rm.status.code(), Some(3), "not found comes first: {err}");
    assert!(err.contains("no file named \"nope.txt\""), "{err}");
    assert!(err.contains("invalid name \"bad/../name\""), "{err}");
    assert!(
        err.trim_end()
            .ends_with("removed 1 file; 2 failed: 1 invalid name, 1 not found"),
        "{err}"
    );
    assert_eq!(s.names(), ["b.txt", "taken.txt"]);
}

/// The last line of a command's stderr: its summary.
fn summary(out: &std::process::Output) -> String {
    stderr(out).lines().last().unwrap_or_default().to_string()
}

#[test]
fn summaries_say_why_items_failed_and_count_only_what_moved() {
    let s = Server::start();
    s.file("a.txt", b"server");
    assert!(s.nf(&["put", "a.txt"]).status.success());
    // The 6 bytes sent in vain are not "uploaded".
    let again = s.nf(&["put", "a.txt"]);
    assert_fails(&again, 4, "already exists");
    assert_eq!(
        summary(&again),
        "uploaded 0 of 1 file; 1 failed: already exists (use -f)"
    );
    let get = s.nf(&["get", "a.txt"]);
    assert_fails(&get, 4, "already exists");
    assert_eq!(
        summary(&get),
        "downloaded 0 of 1 file; 1 failed: already exists (use -f)"
    );

    // mkdir of an existing directory made nothing, as mkdir -p; it is no failure.
    let out = s.nf(&["mkdir", "docs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(summary(&out), "created 1 directory");
    let out = s.nf(&["mkdir", "docs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(summary(&out), "nothing created: 1 directory already existed");
    let out = s.nf(&["mkdir", "docs", "docs/new", "a.txt"]);
    assert_fails(&out, 4, "is a file");
    assert_eq!(
        summary(&out),
        "created 1 of 3 directories; 1 already existed; 1 failed: a file where a directory is, \
         or the reverse"
    );

    // rm counts files and directories by what they were, with -r or without.
    s.file("b.txt", b"b");
    assert!(s.nf(&["put", "b.txt", "--as", "docs/b.txt"]).status.success());
    let out = s.nf(&["rm", "a.txt"]);
    assert_eq!(summary(&out), "removed 1 file");
    let out = s.nf(&["rm", "-r", "docs", "gone.txt"]);
    assert_fails(&out, 3, "no file named");
    assert_eq!(summary(&out), "removed 1 directory; 1 failed: not found");
    assert!(s.names().is_empty());
}

#[test]
fn get_into_a_directory_that_does_not_exist_yet_creates_it_when_named_with_a_slash() {
    let s = Server::start();
    s.place_by_hand("a.txt", b"a\n");
    s.place_by_hand("b.txt", b"b\n");
    let out = s.nf(&["get", "a.txt", "b.txt", "-o", "new/deeper/"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(s.work.join("new/deeper/a.txt")).unwrap(), b"a\n");
    assert_eq!(std::fs::read(s.work.join("new/deeper/b.txt")).unwrap(), b"b\n");
    // Without the slash, several names still need an existing directory.
    let out = s.nf(&["get", "a.txt", "b.txt", "-o", "nodir"]);
    assert_fails(&out, 2, "-o must be a directory (end it with / to create it)");
}

#[test]
fn verbose_put_and_get_print_one_line_per_file() {
    let s = Server::start();
    s.file("one.txt", b"1\n");
    s.file("two.txt", b"22\n");
    let out = s.nf(&["-v", "put", "one.txt", "two.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[0].starts_with("\"one.txt\"  2 B  "), "{err}");
    assert!(lines[1].starts_with("\"two.txt\"  3 B  "), "{err}");
    assert!(
        lines[0].ends_with("/s") && lines[2].starts_with("uploaded 2 files"),
        "{err}"
    );
}

#[test]
fn pipelined_puts_are_answered_in_request_order_when_one_is_refused() {
    let s = Server::start();
    s.place_by_hand("taken.txt", b"old\n");
    let mut raw = s.raw();
    let put = |name: &str, body: &[u8]| {
        format!(
            "{{\"op\":\"put\",\"name\":\"{name}\",\"size\":{}}}\n{}{{\"blake3\":\"{}\"}}\n",
            body.len(),
            String::from_utf8_lossy(body),
            blake3_hex(body)
        )
    };
    // The first is verified and waits for its batch commit when the second is refused at once.
    let batch = [
        put("a.txt", b"a\n"),
        put("taken.txt", b"new\n"),
        put("b.txt", b"b\n"),
    ]
    .concat();
    raw.send(batch.as_bytes());
    let replies: Vec<serde_json::Value> = (0..3).map(|_| raw.json()).collect();
    assert_eq!(replies[0]["name"], "a.txt", "{replies:?}");
    assert_eq!(replies[1]["code"], "exists", "{replies:?}");
    assert!(replies[1]["message"].as_str().unwrap().contains("taken.txt"));
    assert_eq!(replies[2]["name"], "b.txt", "{replies:?}");
}
