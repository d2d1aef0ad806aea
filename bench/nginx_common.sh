# shellcheck shell=bash
# nginx settings shared by the benchmarks' nginx backends and proxies (bench/run.sh,
# bench/h2_common.sh). Sourced; not run on its own. DIR: the instance's directory (pid, logs,
# temporary files).

# The top-level settings: foreground, one worker.
nginx_common() { # DIR
  local dir=$1
  cat <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
EOF
}

# The settings inside `http {}`: no access log, temporary files under DIR, long-lived
# keep-alive connections (a benchmark's connections never end on a request count).
nginx_http_common() { # DIR
  local dir=$1
  cat <<EOF
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
EOF
}
