//! The real binary: first stdout line, port file, one HTTP request over TCP, and it stops by
//! itself (`--exit-after`) or on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn(extra: &[&str]) -> (Child, String, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_polyjob-mock"))
        .args(["--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn polyjob-mock");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let line = line.trim_end().to_owned();
    let port = line
        .strip_prefix("polyjob-mock listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    (child, line, port)
}

fn http(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("polyjob-mock did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serves_over_tcp_and_exits_after_the_deadline() {
    let port_file = std::env::temp_dir().join(format!("polyjob-mock-port-{}", std::process::id()));
    let started = Instant::now();
    let (mut child, _line, port) = spawn(&[
        "--exit-after",
        "5",
        "--port-file",
        port_file.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(&port_file).unwrap(),
        port.to_string()
    );
    std::fs::remove_file(&port_file).ok();

    let body = r#"{"model":"m","prompt":"p"}"#;
    let res = http(
        port,
        &format!(
            "POST /serika/jobs/images HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test-key\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(res.contains("\"status\":\"QUEUED\""), "{res}");
    let res = http(
        port,
        "GET /__mock/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert!(res.contains("\"requests\":1"), "{res}");

    let status = wait_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() >= Duration::from_secs(4));
}

#[test]
fn stops_on_sigterm() {
    let (mut child, _, port) = spawn(&["--exit-after", "60", "--api-key", "k2"]);
    let res = http(port, "GET /serika/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k2\r\nConnection: close\r\n\r\n");
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

#[test]
fn rejects_bad_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_polyjob-mock"))
        .args(["--port", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn fault_rate_flags_reach_the_server() {
    let (mut child, _, port) = spawn(&[
        "--exit-after",
        "30",
        "--fault-rate",
        "1",
        "--fault-seed",
        "9",
        "--fault-kinds",
        "503",
    ]);
    let body = r#"{"model":"m","prompt":"p"}"#;
    http(
        port,
        &format!(
            "POST /serika/jobs/images HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    let res = http(
        port,
        "GET /__mock/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(res.contains(r#""kind":"503""#), "{res}");
    assert!(res.contains(r#""source":"rate""#), "{res}");
    child.kill().ok();
    child.wait().ok();
}

/// The peak resident memory of process `pid`, in KiB (Linux `VmHWM`).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_100_mb_upload_is_streamed_and_hashed_in_little_memory() {
    use sha2::{Digest, Sha256};
    const MIB: usize = 1024 * 1024;
    const FILE_MIB: usize = 100;
    let (mut child, _, port) = spawn(&["--exit-after", "120"]);
    let boundary = "polyjobBigUpload";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"mock\"\r\n\r\n\
         {{\"queue_ms\":0,\"duration_ms\":0}}\r\n--{boundary}\r\nContent-Disposition: form-data; \
         name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let chunk: Vec<u8> = (0..MIB).map(|i| (i % 253) as u8).collect();
    let mut hasher = Sha256::new();
    let len = head.len() + FILE_MIB * MIB + tail.len();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(
        format!(
            "POST /socaity/v1/upload/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: Bearer test-key\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {len}\r\nConnection: close\r\n\r\n{head}"
        )
        .as_bytes(),
    )
    .unwrap();
    for _ in 0..FILE_MIB {
        s.write_all(&chunk).unwrap();
        hasher.update(&chunk);
    }
    s.write_all(tail.as_bytes()).unwrap();
    let mut res = String::new();
    s.read_to_string(&mut res).unwrap();
    assert!(res.starts_with("HTTP/1.1 202"), "{res}");
    let id = res
        .split("\"job_id\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let job = http(
        port,
        &format!("GET /__mock/jobs/{id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        job.contains(&format!(
            r#"{{"content_type":"application/octet-stream","file_name":"big.bin","name":"file","sha256":"{digest}","size":{}}}"#,
            FILE_MIB * MIB
        )),
        "{job}"
    );
    // Streamed: the server never held the upload (100 MiB) in memory.
    if let Some(kib) = peak_rss_kib(child.id()) {
        assert!(kib < 48 * 1024, "peak RSS {kib} KiB");
    }
    child.kill().ok();
    child.wait().ok();
}
