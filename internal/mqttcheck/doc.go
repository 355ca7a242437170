// Package mqttcheck is the MQTT health check that simulate's docker nodes
// and deploy's services share: connect to a broker over a connection the
// caller dialled (directly, or through an SSH connection to a device), and
// optionally see a message published to a topic come back.
package mqttcheck
