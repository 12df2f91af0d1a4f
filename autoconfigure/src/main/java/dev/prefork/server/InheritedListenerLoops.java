package dev.prefork.server;

import java.net.SocketAddress;
import java.time.Duration;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * Event loops that give reactor-netty, instead of a new server socket, the listening socket the
 * process arbiter handed over (process mode): already bound and listening, shared with the other
 * worker JVMs, so its {@code bind} is answered without binding. Everything else is the
 * delegate's.
 */
final class InheritedListenerLoops implements LoopResources {

	private final LoopResources delegate;

	private final FileDescriptor listening;

	InheritedListenerLoops(LoopResources delegate, FileDescriptor listening) {
		this.delegate = delegate;
		this.listening = listening;
	}

	@Override
	@SuppressWarnings("unchecked")
	public <C extends Channel> C onChannel(Class<C> type, EventLoopGroup group) {
		if (!ServerChannel.class.isAssignableFrom(type)) {
			return this.delegate.onChannel(type, group);
		}
		EpollServerSocketChannel channel = new EpollServerSocketChannel(this.listening.intValue());
		channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {

			@Override
			public void bind(ChannelHandlerContext ctx, SocketAddress address, ChannelPromise promise) {
				promise.setSuccess();
			}

		});
		return (C) channel;
	}

	@Override
	public <C extends Channel> Class<? extends C> onChannelClass(Class<C> type, EventLoopGroup group) {
		return this.delegate.onChannelClass(type, group);
	}

	@Override
	public EventLoopGroup onServer(boolean useNative) {
		// The inherited socket is an epoll one: the loops must be epoll ones too.
		return this.delegate.onServer(true);
	}

	@Override
	public EventLoopGroup onServerSelect(boolean useNative) {
		return this.delegate.onServerSelect(true);
	}

	@Override
	public EventLoopGroup onClient(boolean useNative) {
		return this.delegate.onClient(useNative);
	}

	@Override
	public boolean daemon() {
		return this.delegate.daemon();
	}

	@Override
	public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
		return this.delegate.disposeLater(quietPeriod, timeout);
	}

	@Override
	public void dispose() {
		this.delegate.dispose();
	}

	@Override
	public boolean isDisposed() {
		return this.delegate.isDisposed();
	}

}
