package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// The MQTT modes stream through a broker as the UDP ones do directly:
//
//	netprobe mqttpub HOST:PORT GAPUS  publish to probe/<seq> every GAPUS µs
//	netprobe mqttpub HOST:PORT GAPUS noreconnect
//	                                  the same, and give up when the connection drops,
//	                                  as an app without reconnect logic does
//	netprobe mqttsub HOST:PORT        prints "seq sent_ns recv_ns" per message
//
// Both keep alive every 2 s and reconnect every 250 ms, so an outage of
// the link is seen, and left, within seconds. Each connection is logged.

func mqttClient(ctx context.Context, broker, id string, reconnect bool, up func(*autopaho.ConnectionManager), recv func(paho.PublishReceived)) (*autopaho.ConnectionManager, error) {
	u, err := url.Parse("mqtt://" + broker)
	if err != nil {
		return nil, err
	}
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     2,
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              autopaho.NewConstantBackoff(250 * time.Millisecond),
		ConnectTimeout:                2 * time.Second,
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			fmt.Fprintf(os.Stderr, "netprobe: %s connected at %d\n", id, time.Now().UnixNano())
			if up != nil {
				up(cm)
			}
		},
		OnConnectError: func(err error) { fmt.Fprintf(os.Stderr, "netprobe: %s: %v\n", id, err) },
		OnConnectionDown: func() bool {
			fmt.Fprintf(os.Stderr, "netprobe: %s lost its connection at %d\n", id, time.Now().UnixNano())
			return reconnect
		},
		ClientConfig: paho.ClientConfig{ClientID: id},
	}
	if recv != nil {
		cfg.ClientConfig.OnPublishReceived = []func(paho.PublishReceived) (bool, error){
			func(pr paho.PublishReceived) (bool, error) { recv(pr); return true, nil },
		}
	}
	return autopaho.NewConnection(ctx, cfg)
}

func mqttPub(ctx context.Context, broker, gap string, reconnect bool) error {
	us, err := strconv.Atoi(gap)
	if err != nil {
		return err
	}
	cm, err := mqttClient(ctx, broker, "probe-pub", reconnect, nil, nil)
	if err != nil {
		return err
	}
	t := time.NewTicker(time.Duration(us) * time.Microsecond)
	defer t.Stop()
	buf := make([]byte, 16)
	for i := uint64(0); ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		binary.BigEndian.PutUint64(buf, i)
		binary.BigEndian.PutUint64(buf[8:], uint64(time.Now().UnixNano()))
		pctx, cancel := context.WithTimeout(ctx, time.Duration(us)*time.Microsecond)
		_, _ = cm.Publish(pctx, &paho.Publish{Topic: "probe/" + strconv.FormatUint(i, 10), Payload: append([]byte(nil), buf...)})
		cancel()
	}
}

func mqttSub(ctx context.Context, broker string) error {
	var mu sync.Mutex
	_, err := mqttClient(ctx, broker, "probe-sub", true, func(cm *autopaho.ConnectionManager) {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, _ = cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "probe/#"}}})
	}, func(pr paho.PublishReceived) {
		p := pr.Packet.Payload
		if len(p) < 16 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf("%d %d %d\n", binary.BigEndian.Uint64(p), int64(binary.BigEndian.Uint64(p[8:])), time.Now().UnixNano()) // #nosec G115 -- the sender wrote an int64's bits
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
