FROM debian:12
WORKDIR /src
RUN echo "cd /elsewhere is just text" && make
RUN cat <<EOF > /notes.txt
cd /data
EOF
