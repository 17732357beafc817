
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'nf' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'nf'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'nf' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the file server')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Upload files and directory trees')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Download files and directory trees')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List stored files and directories')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete stored files and directories')
            [CompletionResult]::new('mkdir', 'mkdir', [CompletionResultType]::ParameterValue, 'Create directories')
            [CompletionResult]::new('mv', 'mv', [CompletionResultType]::ParameterValue, 'Move or rename a file or directory')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Make a tree equal another, sending only what changed')
            [CompletionResult]::new('stat', 'stat', [CompletionResultType]::ParameterValue, 'Show stored files by exact name')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show, locate or create the config file')
            [CompletionResult]::new('user', 'user', [CompletionResultType]::ParameterValue, 'Add, change, remove and list the users of the access file')
            [CompletionResult]::new('access', 'access', [CompletionResultType]::ParameterValue, 'Explain what a user may do at a path')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('receipt', 'receipt', [CompletionResultType]::ParameterValue, 'Check receipts: what a server signed that it accepted')
            [CompletionResult]::new('share', 'share', [CompletionResultType]::ParameterValue, 'Share a file or folder by a link that needs no account')
            [CompletionResult]::new('receipts', 'receipts', [CompletionResultType]::ParameterValue, 'List the uploads the server recorded: what arrived when')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Storage directory [default: ~/.local/share/nf/files]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Keep files in a bucket of an S3-compatible object store (s3://BUCKET/PREFIX), or in the local directory (local) [default: local]')
            [CompletionResult]::new('--s3-endpoint', '--s3-endpoint', [CompletionResultType]::ParameterName, 'URL of the object store, such as http://127.0.0.1:8333 [default: AWS]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Serve files but refuse put, rm, mkdir and mv')
            [CompletionResult]::new('--no-compat', '--no-compat', [CompletionResultType]::ParameterName, 'Do not answer the old classroom clients (text dialects); same as `compat = false`')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'Print the server''s TLS identity (sha256//BASE64, the fingerprint clients pin) and exit')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;put' {
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Store the file (or with -r the directory) under this name (only with one FILE); with a trailing slash (`--as docs/`), store each FILE under its own name inside that directory, as cp and scp do')
            [CompletionResult]::new('--receipt', '--receipt', [CompletionResultType]::ParameterName, 'Write the server''s signed receipt of the upload to this file (one file uploaded); with a trailing slash, or an existing directory, one receipt per upload inside it, named after the uploaded name with / as %2F and % as %25, plus .receipt.json. Check them with `nf receipt verify`')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Upload directories with everything in them, each under its own name')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Upload directories with everything in them, each under its own name')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'With -r, follow symbolic links (a link to a directory is uploaded as a directory); without it, links are skipped with a warning')
            [CompletionResult]::new('--dereference', '--dereference', [CompletionResultType]::ParameterName, 'With -r, follow symbolic links (a link to a directory is uploaded as a directory); without it, links are skipped with a warning')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Overwrite files that already exist on the server')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite files that already exist on the server')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Continue interrupted uploads from where they stopped; a file the server already holds whole is done at once. Streams (-, pipes) cannot be resumed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;get' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write: a directory (created if PATH ends with /, or with -r), a file name (one NAME), or - for standard output')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where to write: a directory (created if PATH ends with /, or with -r), a file name (one NAME), or - for standard output')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Download directories with everything in them, each under its own name')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Download directories with everything in them, each under its own name')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Overwrite local files that already exist')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite local files that already exist')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Continue interrupted downloads from where they stopped; a local file that already holds the server''s content is done at once')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;ls' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of {name, type, size, modified, mode, blake3} objects')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'List the whole tree below PATH')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'List the whole tree below PATH')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;rm' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Delete directories and everything in them')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Delete directories and everything in them')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;mkdir' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;mv' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace a file that exists at the destination')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a file that exists at the destination')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;sync' {
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out entries matching this glob (without /: any entry of that name; with /: that path below the top of the tree); neither sent nor deleted. Repeatable')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Compare files by BLAKE3 instead of size and modification time, as rsync''s -c (the server keeps each file''s hash, so it reads nothing)')
            [CompletionResult]::new('--checksum', '--checksum', [CompletionResultType]::ParameterName, 'Compare files by BLAKE3 instead of size and modification time, as rsync''s -c (the server keeps each file''s hash, so it reads nothing)')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Delete what DST has and SRC lacks (refused when SRC is empty or after any error)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print what would be done, one line per action, and change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be done, one line per action, and change nothing')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow symbolic links in a local SRC; without it, they are skipped (counted once in the summary, named with -v)')
            [CompletionResult]::new('--dereference', '--dereference', [CompletionResultType]::ParameterName, 'Follow symbolic links in a local SRC; without it, they are skipped (counted once in the summary, named with -v)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;stat' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of {name, size, modified, blake3} objects')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;config' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Storage directory [default: ~/.local/share/nf/files]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Keep files in a bucket of an S3-compatible object store (s3://BUCKET/PREFIX), or in the local directory (local) [default: local]')
            [CompletionResult]::new('--s3-endpoint', '--s3-endpoint', [CompletionResultType]::ParameterName, 'URL of the object store, such as http://127.0.0.1:8333 [default: AWS]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Serve files but refuse put, rm, mkdir and mv')
            [CompletionResult]::new('--no-compat', '--no-compat', [CompletionResultType]::ParameterName, 'Do not answer the old classroom clients (text dialects); same as `compat = false`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file nf reads')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;config;path' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;config;init' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Overwrite the config file if it already exists')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite the config file if it already exists')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;config;help' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file nf reads')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;config;help;path' {
            break
        }
        'nf;config;help;init' {
            break
        }
        'nf;config;help;help' {
            break
        }
        'nf;user' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a user with a password')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Change a user''s password')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a user')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the users and their groups')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;user;add' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'A group the user belongs to (rules name it as @GROUP). Repeatable')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'A group the user belongs to (rules name it as @GROUP). Repeatable')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Make a random password and print it once, instead of reading one')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;user;passwd' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Make a random password and print it once, instead of reading one')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;user;rm' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;user;ls' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of {name, groups} objects')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;user;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a user with a password')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Change a user''s password')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a user')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the users and their groups')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;user;help;add' {
            break
        }
        'nf;user;help;passwd' {
            break
        }
        'nf;user;help;rm' {
            break
        }
        'nf;user;help;ls' {
            break
        }
        'nf;user;help;help' {
            break
        }
        'nf;access' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Print the rights a user has at a path, and the rules that give them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;access;check' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object {user, path, rights, hidden, traversable, rules, limits}')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;access;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Print the rights a user has at a path, and the rules that give them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;access;help;check' {
            break
        }
        'nf;access;help;help' {
            break
        }
        'nf;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;receipt' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that receipts were signed by a server you trust and were not changed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;receipt;verify' {
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint of the server that must have signed (sha256//BASE64, from `nf serve --fingerprint`); without it, any key recorded in known_servers')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Also check that this local file is the content the receipt states (size and BLAKE3)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;receipt;help' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that receipts were signed by a server you trust and were not changed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;receipt;help;verify' {
            break
        }
        'nf;receipt;help;help' {
            break
        }
        'nf;share' {
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'How long the link works: a number and s, m, h, d or w (30m, 7d); none: until removed')
            [CompletionResult]::new('--max-uses', '--max-uses', [CompletionResultType]::ParameterName, 'How many files may be read (or uploaded) through it')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--upload', '--upload', [CompletionResultType]::ParameterName, 'An upload link: new files into the folder PATH, nothing else (no list, read or overwrite)')
            [CompletionResult]::new('--qr', '--qr', [CompletionResultType]::ParameterName, 'Also print the URL as a QR code (for phones)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the link as one JSON object (with its url)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the share links you made')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove share links: they answer 410 Gone from then on')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;share;ls' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of the links (each with its url)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;share;rm' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;share;help' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the share links you made')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove share links: they answer 410 Gone from then on')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;share;help;ls' {
            break
        }
        'nf;share;help;rm' {
            break
        }
        'nf;share;help;help' {
            break
        }
        'nf;receipts' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only uploads committed at or after TIME: RFC 3339 (2026-12-20T23:59:00Z, or with +01:00), a day in UTC (2026-12-20), or an age (30m, 12h, 7d)')
            [CompletionResult]::new('--who', '--who', [CompletionResultType]::ParameterName, 'Only uploads sent by this user (or anonymous)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server address, HOST:PORT [default: 127.0.0.1:8889]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS: auto (to every server not on loopback), always or never [default: auto]')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one signed receipt (a JSON object) per line instead of the table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but data and errors (no progress, no summary, no server log)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail: one line per file transferred; the server logs connections too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'nf;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the file server')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Upload files and directory trees')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Download files and directory trees')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List stored files and directories')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete stored files and directories')
            [CompletionResult]::new('mkdir', 'mkdir', [CompletionResultType]::ParameterValue, 'Create directories')
            [CompletionResult]::new('mv', 'mv', [CompletionResultType]::ParameterValue, 'Move or rename a file or directory')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Make a tree equal another, sending only what changed')
            [CompletionResult]::new('stat', 'stat', [CompletionResultType]::ParameterValue, 'Show stored files by exact name')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show, locate or create the config file')
            [CompletionResult]::new('user', 'user', [CompletionResultType]::ParameterValue, 'Add, change, remove and list the users of the access file')
            [CompletionResult]::new('access', 'access', [CompletionResultType]::ParameterValue, 'Explain what a user may do at a path')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('receipt', 'receipt', [CompletionResultType]::ParameterValue, 'Check receipts: what a server signed that it accepted')
            [CompletionResult]::new('share', 'share', [CompletionResultType]::ParameterValue, 'Share a file or folder by a link that needs no account')
            [CompletionResult]::new('receipts', 'receipts', [CompletionResultType]::ParameterValue, 'List the uploads the server recorded: what arrived when')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'nf;help;serve' {
            break
        }
        'nf;help;put' {
            break
        }
        'nf;help;get' {
            break
        }
        'nf;help;ls' {
            break
        }
        'nf;help;rm' {
            break
        }
        'nf;help;mkdir' {
            break
        }
        'nf;help;mv' {
            break
        }
        'nf;help;sync' {
            break
        }
        'nf;help;stat' {
            break
        }
        'nf;help;config' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file nf reads')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented config file')
            break
        }
        'nf;help;config;path' {
            break
        }
        'nf;help;config;init' {
            break
        }
        'nf;help;user' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a user with a password')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Change a user''s password')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a user')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the users and their groups')
            break
        }
        'nf;help;user;add' {
            break
        }
        'nf;help;user;passwd' {
            break
        }
        'nf;help;user;rm' {
            break
        }
        'nf;help;user;ls' {
            break
        }
        'nf;help;access' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Print the rights a user has at a path, and the rules that give them')
            break
        }
        'nf;help;access;check' {
            break
        }
        'nf;help;completions' {
            break
        }
        'nf;help;receipt' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that receipts were signed by a server you trust and were not changed')
            break
        }
        'nf;help;receipt;verify' {
            break
        }
        'nf;help;share' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the share links you made')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove share links: they answer 410 Gone from then on')
            break
        }
        'nf;help;share;ls' {
            break
        }
        'nf;help;share;rm' {
            break
        }
        'nf;help;receipts' {
            break
        }
        'nf;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
